"""The built-in instruments: PHQ-9 (depression) and GAD-7 (anxiety).

Wording. Both were developed by Drs Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and
colleagues with an educational grant from Pfizer Inc., which publishes them at
https://www.phqscreeners.com/ and states that no permission is required to reproduce,
translate, display or distribute them. The stems, item wording and answer options below
follow the English forms as published there. They were checked (November 2026) against
reproductions of those forms that carry Pfizer's notice: HL7's FHIR US Core "PHQ-9 Example"
Questionnaire (hl7.org/fhir/us/core), which cites phqscreeners.com, and NHS practices' online
copies. Small variants circulate (LOINC, for one, puts a comma after "anxious" in GAD-7 item
1); we keep the Pfizer forms' punctuation. Each form's closing question on how difficult the
problems have made life is not scored, and NHS Talking Therapies do not record it, so it is
left out.

Scoring. Each item scores 0 ("Not at all") to 3 ("Nearly every day"); the total is the sum
(PHQ-9 0-27, GAD-7 0-21). Severity bands are those published with the instruments (Kroenke
et al. 2001 for PHQ-9; Spitzer et al. 2006 for GAD-7). Caseness uses the NHS Talking Therapies
(formerly IAPT) clinical cut-offs: PHQ-9 10 or more, GAD-7 8 or more, as NHS England's
Talking Therapies manual and NHS Digital's reporting define them. PHQ-9 item 9 (thoughts of
being better off dead or of self-harm) answered above "Not at all" flags risk.

Changing anything here changes the fingerprint, which tests pin: past answers must keep the
meaning they were given under.
"""

from __future__ import annotations

from .forms import Band, FormDefinition, Option, Question, QuestionKind, Scoring

__all__ = ["GAD7", "PHQ9", "PHQ9_RISK_QUESTION"]

_FREQUENCY = (
    Option("0", "Not at all", 0),
    Option("1", "Several days", 1),
    Option("2", "More than half the days", 2),
    Option("3", "Nearly every day", 3),
)


def _items(prefix: str, texts: tuple[str, ...]) -> tuple[Question, ...]:
    return tuple(
        Question(f"{prefix}_{number}", QuestionKind.SINGLE_CHOICE, text, options=_FREQUENCY)
        for number, text in enumerate(texts, start=1)
    )


PHQ9_RISK_QUESTION = "phq9_9"

PHQ9 = FormDefinition(
    name="PHQ-9",
    stem="Over the last 2 weeks, how often have you been bothered by any of the following "
    "problems?",
    questions=_items(
        "phq9",
        (
            "Little interest or pleasure in doing things",
            "Feeling down, depressed, or hopeless",
            "Trouble falling or staying asleep, or sleeping too much",
            "Feeling tired or having little energy",
            "Poor appetite or overeating",
            "Feeling bad about yourself — or that you are a failure or have let yourself or "
            "your family down",
            "Trouble concentrating on things, such as reading the newspaper or watching television",
            "Moving or speaking so slowly that other people could have noticed? Or the "
            "opposite — being so fidgety or restless that you have been moving around a lot "
            "more than usual",
            "Thoughts that you would be better off dead or of hurting yourself in some way",
        ),
    ),
    scoring=Scoring(
        bands=(
            Band(0, 4, "Minimal"),
            Band(5, 9, "Mild"),
            Band(10, 14, "Moderate"),
            Band(15, 19, "Moderately severe"),
            Band(20, 27, "Severe"),
        ),
        caseness_from=10,
        risk_question=PHQ9_RISK_QUESTION,
    ),
)

GAD7 = FormDefinition(
    name="GAD-7",
    stem="Over the last 2 weeks, how often have you been bothered by the following problems?",
    questions=_items(
        "gad7",
        (
            "Feeling nervous, anxious or on edge",
            "Not being able to stop or control worrying",
            "Worrying too much about different things",
            "Trouble relaxing",
            "Being so restless that it is hard to sit still",
            "Becoming easily annoyed or irritable",
            "Feeling afraid as if something awful might happen",
        ),
    ),
    scoring=Scoring(
        bands=(
            Band(0, 4, "Minimal"),
            Band(5, 9, "Mild"),
            Band(10, 14, "Moderate"),
            Band(15, 21, "Severe"),
        ),
        caseness_from=8,
    ),
)
