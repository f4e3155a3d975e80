"""Management commands of skiesish's Django integration."""
