"""The tests' shared harness (on sys.path through pyproject's ``pythonpath = ["tests"]``):
photos and the CLI runners, in-process and in a subprocess (:mod:`.helpers`), the fake-plugin
factory (:mod:`.plugins`), the operator harness and its specs (:mod:`.opharness`, :mod:`.opspecs`)."""
