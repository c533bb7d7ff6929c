"""Hypothesis profiles for the bad-input hunt: ``ci`` (few examples, derandomized, a deadline;
chosen when CI=true) keeps the suite to about a minute on 2 cores; ``dev`` hunts longer; set
HYPOTHESIS_PROFILE=deep to hunt for real (hundreds of examples per test)."""

import os

from hypothesis import HealthCheck, settings

_common = dict(suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture], print_blob=True)
settings.register_profile("ci", max_examples=12, deadline=5000, derandomize=True, database=None, **_common)
settings.register_profile("dev", max_examples=25, deadline=10000, **_common)
settings.register_profile("deep", max_examples=400, deadline=None, **_common)
_ci = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if _ci else "dev"))
