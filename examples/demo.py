"""Stylize the example photo from a spoken prompt and explain how the prompt was understood.

    python examples/demo.py                                  # default prompt
    python examples/demo.py "make it warmer, kinda dreamy" out.jpg
"""

import sys
from pathlib import Path

import spokenstyle

HERE = Path(__file__).resolve().parent

prompt = sys.argv[1] if len(sys.argv) > 1 else "oil painting, warm sunset colours"
output = sys.argv[2] if len(sys.argv) > 2 else "coffee-stylized.jpg"

result = spokenstyle.stylize(HERE / "coffee.jpg", prompt, seed=1)
result.save(output)
print(result.explain())
print(f"wrote {output} in {result.timings['stylize'] * 1000:.0f} ms")
