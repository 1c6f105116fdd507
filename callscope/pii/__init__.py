"""Personal data that is not a number: person names (names.py), street addresses and postcodes
(addresses.py), call ids that hold personal data (call_ids.py); audio with the redacted words as a
tone (audio.py). `callscope.redact` combines them
with its number, e-mail and date rules."""
