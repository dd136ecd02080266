"""The workbench's HTTP API, one router per resource (mounted under ``/api`` by
:func:`dayafter.web.create_app`): territory, plans, draft, engines, compare, io and jobs."""
