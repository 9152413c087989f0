"""Offline question answering over your own documents, with checked citations."""
