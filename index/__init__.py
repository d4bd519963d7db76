"""Turn corpus documents into a searchable index: ingest, embed, store, search."""
