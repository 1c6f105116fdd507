"""Pipeline stages, one module each: ingest -> audio -> transcribe -> align -> write."""
