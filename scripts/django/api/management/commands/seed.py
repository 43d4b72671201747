"""manage.py seed CREDS.json: the users, tokens and students of a DRF
studentapi, each user's password hashed by another of Django's hashers, and
what a client knows of them (passwords, keys, ids) written to CREDS.json for
scripts/django_roundtrip.sh to check on both sides."""
import json

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand
from rest_framework.authtoken.models import Token

from api.models import Student

# username, password, hasher (None: Django's default, the first of
# PASSWORD_HASHERS), superuser
USERS = [
    ("alice", "alice-pass-1", None, True),
    ("bob", "bob-pass-2", "bcrypt_sha256", False),
    ("carol", "carol-pass-3", "argon2", False),
    ("dave", "dave-pass-4", "pbkdf2_sha1", False),
    ("erin", "erin-pass-5" * 10, "bcrypt_sha256", False),  # longer than bcrypt's 72 bytes
    ("frank", None, None, False),  # an unusable password, with a token
]


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("creds")

    def handle(self, *args, **options):
        # Ids with gaps: nothing may renumber them.
        User.objects.create(username="gone")
        users = []
        for name, password, hasher, superuser in USERS:
            u = User(username=name, email=name + "@example.com", first_name=name.title(),
                     is_staff=superuser, is_superuser=superuser)
            if password is None:
                u.set_unusable_password()
            elif hasher is None:
                u.set_password(password)
            else:
                u.password = make_password(password, hasher=hasher)
            u.save()
            key = Token.objects.create(user=u).key
            users.append({"id": u.pk, "username": name, "password": password,
                          "algorithm": u.password.split("$", 1)[0] if password else "unusable", "key": key})
        User.objects.filter(username="gone").delete()
        students = []
        for name, roll, city in [("Ravi", 10, "Ranchi"), ("Sonam", 11, "Pune"), ("Zoë", 12, "Kraków"), ("Amit", 13, "Delhi")]:
            students.append(Student.objects.create(name=name, roll=roll, city=city))
        students[1].delete()
        del students[1]
        with open(options["creds"], "w") as f:
            json.dump({"users": users, "students": [{"id": s.pk, "name": s.name, "roll": s.roll, "city": s.city} for s in students]}, f)
        self.stdout.write("seeded %d users and %d students" % (len(users), len(students)))
