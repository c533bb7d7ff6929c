"""The tests' shared harness (on sys.path through pyproject's ``pythonpath = ["tests"]``):
photos and CLI runners (:mod:`.helpers`), the operator harness and its specs (:mod:`.opharness`,
:mod:`.opspecs`)."""
