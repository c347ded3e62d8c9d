"""Test doubles: stand-ins for the outside world (model servers) that tests script and inspect.

Import from the modules themselves (`tests.doubles.stub_chat_server`), which also run standalone
with `python -m`; re-exporting them here would import them twice under `-m`.
"""
