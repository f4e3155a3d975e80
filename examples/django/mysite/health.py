"""The project's own check, named in SKIESISH's ready list by its dotted path."""

import skiesish

#: At least 1% of the disk holding the database free.
disk_has_room = skiesish.checks.disk("/", min_free="1%", name="disk")
