"""Questionnaires in plain Python: form definitions and their fingerprints (forms.py), cleaning
what patients submit (answers.py), scoring and risk (scoring.py), PHQ-9 and GAD-7
(instruments.py). No Django; the questionnaires app stores and sends what this defines."""
