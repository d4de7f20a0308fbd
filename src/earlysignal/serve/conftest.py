# The Django modules need settings configured before they can be imported, which
# the tests in tests/serve do; the doctests of this package live in the modules
# that do not import Django at module level.
collect_ignore = ["models.py", "admin.py", "urls.py", "_views.py", "wsgi.py", "migrations"]
