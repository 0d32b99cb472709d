"""In-app help: answers from the driver's own facts, and resolutions started when owed
(`onetouch.help.api.help_router`); `kb` is importable alone, stdlib only, for the replies."""
