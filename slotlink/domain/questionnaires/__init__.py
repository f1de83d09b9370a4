"""Questionnaires in plain Python: form definitions and their fingerprints (forms.py) and
cleaning what patients submit (answers.py). No Django; the questionnaires app stores and sends
what this defines."""
