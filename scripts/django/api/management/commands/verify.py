"""manage.py verify CREDS.json: every password of CREDS.json logs in through
Django's own authenticate() as the same user id, every key is that user's
token in Token.objects, and the students are exactly those of CREDS.json.
Exits non-zero, listing what fails."""
import json
import sys

from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand
from rest_framework.authtoken.models import Token

from api.models import Student


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("creds")

    def handle(self, *args, **options):
        with open(options["creds"]) as f:
            creds = json.load(f)
        failures = []
        for u in creds["users"]:
            if u["password"] is not None:
                # Read before authenticate(), which upgrades the hash.
                algorithm = User.objects.get(username=u["username"]).password.split("$", 1)[0]
                got = authenticate(username=u["username"], password=u["password"])
                if got is None or got.pk != u["id"]:
                    failures.append("%s (%s): authenticate() = %r" % (u["username"], u["algorithm"], got))
                else:
                    self.stdout.write("ok  django authenticate(%s) [%s]" % (u["username"], algorithm))
            try:
                owner = Token.objects.get(key=u["key"]).user
                if owner.username != u["username"] or owner.pk != u["id"]:
                    failures.append("key of %s belongs to %s (%d)" % (u["username"], owner.username, owner.pk))
                else:
                    self.stdout.write("ok  django Token.objects key of %s" % u["username"])
            except Token.DoesNotExist:
                failures.append("key of %s: no such token" % u["username"])
        want = sorted((s["id"], s["name"], s["roll"], s["city"]) for s in creds["students"])
        got = sorted(Student.objects.values_list("id", "name", "roll", "city"))
        if got != want:
            failures.append("students %r, want %r" % (got, want))
        else:
            self.stdout.write("ok  django students %r" % [s[0] for s in got])
        if failures:
            for f in failures:
                self.stderr.write("FAIL " + f)
            sys.exit(1)
