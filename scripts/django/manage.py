#!/usr/bin/env python3
"""manage.py of the stock DRF studentapi project that scripts/django_roundtrip.sh
moves to studentapi and back (Debian's python3-django and
python3-djangorestframework)."""
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "drfproject.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
