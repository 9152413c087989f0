"""Indexing pipeline: load → clean → chunk → embed → store."""
