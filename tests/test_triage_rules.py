"""Tests for bot.triage's precise rules (no embedding given), and the safety messages.

The case file (tests/data/triage_cases.jsonl) holds users' words: red flags and crises
to catch, and look-alikes that must NOT alarm (idioms, negations, questions about red
flags, benign positional numbness, exercise fatigue). The named tests below pin the
behaviours that matter most, so a regression says what it broke.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections import Counter
from pathlib import Path

import pytest

import bot.triage as triage_package
from bot.replies import DISCLAIMER
from bot.triage import (
    Triage,
    TriageKind,
    assess,
    crisis_message,
    red_flag_message,
)

CASES_PATH = Path(__file__).parent / "data" / "triage_cases.jsonl"
CASES = [json.loads(line) for line in CASES_PATH.read_text(encoding="utf-8").splitlines() if line]
RED_FLAG_CASES = [c for c in CASES if c["expect"] == "red_flag"]
EMERGENCY_NUMBERS = ("911", "999", "112")


def decision(result: Triage | None) -> tuple[str, str, str | None] | None:
    """What a test pins of a triage result: kind, reason and urgency."""
    return None if result is None else (result.kind, result.reason, result.urgency)


def kind_of(text: str) -> str:
    """The triage kind as the case file spells it ("none" for an ordinary question)."""
    result = assess(text)
    return result.kind.value if result else "none"


# ---- the case file --------------------------------------------------------------------


def test_every_case_in_the_case_file_is_triaged_as_expected_by_the_rules_alone() -> None:
    wrong = [(c["text"], c["expect"], kind_of(c["text"])) for c in CASES if kind_of(c["text"]) != c["expect"]]
    assert not wrong, wrong


def test_case_file_has_enough_cases_of_each_kind() -> None:
    counts = Counter(c["expect"] for c in CASES)
    assert counts["red_flag"] + counts["crisis"] >= 60
    assert counts["none"] >= 60
    assert counts["greeting"] + counts["help"] >= 15
    assert counts["dose"] >= 10
    assert counts["not_english"] >= 10


def test_case_file_rows_are_well_formed_and_unique() -> None:
    allowed = {k.value for k in TriageKind} | {"none"}
    assert all(set(c) <= {"text", "expect", "note"} and c["expect"] in allowed for c in CASES)
    texts = [c["text"] for c in CASES]
    assert len(texts) == len(set(texts))


def test_every_red_flag_has_an_urgency_a_category_and_a_specific_message() -> None:
    for case in RED_FLAG_CASES:
        result = assess(case["text"])
        assert result is not None, case
        assert result.urgency in {"emergency", "urgent"} and result.category is not None, case
        generic = red_flag_message(Triage(TriageKind.RED_FLAG, "unknown_reason", result.urgency))
        assert red_flag_message(result) != generic, f"no specific text for {result.reason}"


def test_false_alarms_on_look_alikes_stay_under_five_percent() -> None:
    benign = [c["text"] for c in CASES if c["expect"] == "none"]
    alarms = [t for t in benign if kind_of(t) in {"red_flag", "crisis"}]
    assert len(alarms) <= 0.05 * len(benign), alarms


def test_reasons_are_short_and_machine_readable() -> None:
    for case in CASES:
        result = assess(case["text"])
        if result is not None:
            assert re.fullmatch(r"[a-z_]+(?::[a-z_]+)?", result.reason), result.reason


# ---- idioms and negation must not alarm --------------------------------------------


def test_idiom_this_pain_is_killing_me_is_not_a_crisis() -> None:
    assert assess("this pain is killing me") is None
    assert assess("my back is killing me after gardening") is None


def test_idiom_i_could_kill_for_a_massage_is_not_a_crisis() -> None:
    assert assess("I could kill for a massage, my back is so tight") is None


def test_idiom_dying_to_know_is_not_a_crisis() -> None:
    assert assess("dying to know the best hip flexor stretch") is None


def test_suicide_sprints_drill_is_not_a_crisis() -> None:
    assert assess("suicide sprints at practice made my lower back sore") is None


def test_killing_myself_at_the_gym_is_an_idiom_not_a_crisis() -> None:
    assert assess("I'm killing myself at the gym trying to fix my back") is None


def test_not_suicidal_just_frustrated_is_not_a_crisis() -> None:
    assert assess("not suicidal, just frustrated with my sciatica") is None


def test_legs_dead_tired_after_squats_is_not_a_neuro_red_flag() -> None:
    assert assess("my legs are dead tired after squats") is None


def test_weak_legs_after_leg_day_is_exercise_fatigue_not_a_red_flag() -> None:
    assert assess("my legs feel weak and wobbly after leg day") is None


def test_numb_foot_after_sitting_cross_legged_is_positional_not_a_red_flag() -> None:
    assert assess("is numbness in my foot after sitting cross-legged normal?") is None


def test_numb_bum_on_a_long_bike_ride_is_pressure_not_saddle_anaesthesia() -> None:
    assert assess("my butt goes numb on long bike rides") is None


def test_leaking_when_sneezing_after_a_baby_is_stress_incontinence_not_a_red_flag() -> None:
    assert assess("I leak a bit when I sneeze since having my baby") is None


def test_no_fever_and_no_numbness_are_negations_not_reports() -> None:
    assert assess("no fever, no numbness, just a sore lower back") is None
    assert assess("bladder is fine and I can feel touch fine, just stiff") is None


def test_symptom_question_answered_no_is_a_negation() -> None:
    assert assess("numbness? none. weakness? none. just sore") is None


def test_negation_does_not_leak_across_and_into_the_next_symptom() -> None:
    result = assess("no fever and my legs are numb")
    assert result is not None and result.kind is TriageKind.RED_FLAG


def test_negation_does_not_reach_past_a_new_subject_without_a_comma() -> None:
    # "doesnt" is about the pain; the plan that follows is a clause of its own.
    assert kind_of("if this pain doesnt stop im going to kms") == "crisis"
    assert kind_of("it doesnt hurt much but the pain doesnt stop and im numb down there") == "red_flag"
    # ...but "don't think" lifts the negation over its clause: a denial, not a report.
    assert assess("I don't think I have any numbness down there") is None


def test_double_negative_cant_walk_without_leg_giving_way_is_a_report() -> None:
    result = assess("I can't walk without my leg giving way")
    assert result is not None and result.reason == "neuro:leg_weakness"


def test_uncertainty_is_not_negation() -> None:
    assert kind_of("I don't know why my legs are numb") == "red_flag"
    assert kind_of("not sure if it matters but I can't pee") == "red_flag"


# ---- questions about red flags go to retrieval ------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "what are the red flags for back pain?",
        "when should I see a doctor about back pain?",
        "what is cauda equina syndrome?",
        "can sciatica cause numbness in both legs?",
        "what does foot drop look like?",
    ],
)
def test_questions_about_red_flags_are_information_not_reports(question: str) -> None:
    assert assess(question) is None


def test_hypothetical_red_flag_question_is_information() -> None:
    assert assess("what should I do if I ever lose bladder control?") is None


def test_general_question_does_back_pain_cause_fever_is_not_a_report() -> None:
    assert assess("does back pain cause fever?") is None


def test_info_marker_just_curious_keeps_a_symptom_word_informational() -> None:
    assert assess("whats saddle numbness mean, asking for info not cuz i have it") is None


def test_question_about_a_red_flag_plus_a_first_person_report_is_a_red_flag() -> None:
    assert kind_of("what is cauda equina? I can't feel when I wipe") == "red_flag"


# ---- co-occurrence rules ---------------------------------------------------------------


def test_fever_without_back_pain_is_not_a_back_red_flag() -> None:
    assert assess("I have a fever and a cold") is None


def test_fever_with_back_pain_is_urgent() -> None:
    assert decision(assess("back pain and a temperature of 38.9")) == (
        TriageKind.RED_FLAG,
        "fever_with_back_pain",
        "urgent",
    )


def test_intentional_weight_loss_is_not_a_red_flag() -> None:
    assert assess("I lost 5 kg on a diet and my back feels better") is None


def test_unexplained_weight_loss_with_back_pain_is_urgent() -> None:
    result = assess("I've dropped a stone without trying and my back aches all the time")
    assert decision(result) == (TriageKind.RED_FLAG, "weight_loss_with_back_pain", "urgent")


def test_someone_elses_cancer_is_not_the_users_cancer_history() -> None:
    assert assess("my mum had cancer, could my back pain be cancer?") is None


def test_old_car_accident_is_not_major_trauma_now() -> None:
    assert assess("I was in a car accident 10 years ago and still get back stiffness") is None


# ---- urgency and precedence ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("I suddenly can't control my bladder and my back is terrible", "cauda_equina:bladder"),
        ("lost control of my bowels since my back went", "cauda_equina:bowel"),
        ("numb down there since yesterday, bad back", "cauda_equina:saddle_numbness"),
        ("sciatica in both legs now", "cauda_equina:bilateral_sciatica"),
        ("my foot flops when I walk", "neuro:foot_drop"),
        ("my leg keeps giving out on me", "neuro:leg_weakness"),
        ("crashed my car and now my back hurts", "trauma:major"),
        ("chest pain spreading to my left arm and my back aches", "cardiac:chest_pain"),
    ],
)
def test_emergency_red_flags_have_emergency_urgency(text: str, reason: str) -> None:
    assert decision(assess(text)) == (TriageKind.RED_FLAG, reason, "emergency")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("I had breast cancer years ago and now new back pain", "cancer_history_with_back_pain"),
        ("had a cortisone shot in my back and now it's red and swollen", "post_procedure"),
        ("I inject heroin and have bad back pain", "infection_risk:iv_drug_use"),
        ("osteoporosis, slipped, now sharp back pain", "fracture_risk:osteoporosis_or_steroids"),
        ("my back pain is constant, even at night lying in bed", "night_pain:unremitting"),
    ],
)
def test_urgent_red_flags_have_urgent_urgency(text: str, reason: str) -> None:
    assert decision(assess(text)) == (TriageKind.RED_FLAG, reason, "urgent")


def test_crisis_wins_over_a_red_flag() -> None:
    assert kind_of("I can't pee and honestly I want to die") == "crisis"


def test_crisis_in_another_language_is_not_just_not_english() -> None:
    assert kind_of("quiero morir, el dolor de espalda es insoportable") == "crisis"


def test_red_flag_wins_over_greeting_and_dose() -> None:
    assert kind_of("hi, I can't pee and my back hurts") == "red_flag"
    assert kind_of("how much ibuprofen can I take? I can't feel my legs") == "red_flag"


def test_crisis_has_no_urgency_and_other_kinds_have_none_either() -> None:
    texts = ("I want to kill myself", "hi", "help", "dosage of prednisone", "me duele la espalda")
    for text in texts:
        result = assess(text)
        assert result is not None and result.urgency is None


# ---- greeting, help, dose, not English ----------------------------------------------


def test_greeting_with_a_question_is_a_question() -> None:
    assert assess("hi, how do I stretch my psoas?") is None


def test_topic_question_what_do_you_know_about_sciatica_is_not_help() -> None:
    assert assess("what do you know about sciatica?") is None
    assert kind_of("what do you know about?") == "help"


def test_slash_help_is_a_help_command() -> None:
    assert decision(assess("/help")) == (TriageKind.HELP, "help:command", None)


def test_dose_reason_names_the_drug() -> None:
    expected = Triage(TriageKind.DOSE, "dose:ibuprofen")
    assert assess("how many mg of ibuprofen can I take?") == expected


def test_information_about_an_injection_is_not_a_dose_request() -> None:
    assert assess("what does the SI joint injection contain?") is None
    assert assess("how much does a cortisone shot cost?") is None


def test_method_seeking_dose_question_is_a_crisis_not_a_dose() -> None:
    assert kind_of("how many of my pain pills would it take to not wake up") == "crisis"


def test_dosing_question_about_taking_all_meds_at_once_is_not_a_crisis() -> None:
    assert kind_of("can I take all my meds at once in the morning?") != "crisis"
    assert kind_of("I'm going to take all my pills at once tonight") == "crisis"


@pytest.mark.parametrize("text", ["", "   ", "🙏🙏", "👍", "?!"])
def test_empty_or_emoji_only_messages_are_left_to_the_pipeline(text: str) -> None:
    assert assess(text) is None


def test_english_with_a_foreign_phrase_is_still_english() -> None:
    assert assess("what is the 'postura del niño' pose in yoga?") is None


# ---- normalisation, typos, purity, speed -------------------------------------------


def test_misspelled_red_flag_and_crisis_words_are_still_caught() -> None:
    assert kind_of("cant controll my blader and my back kills") == "red_flag"
    assert kind_of("my leg keeps givin way") == "red_flag"
    assert kind_of("thinkin about suicde") == "crisis"
    assert kind_of("i want to kil myself") == "crisis"


@pytest.mark.parametrize(
    "text",
    [
        "I walked up some steep hills and my back aches",  # hills is not "chills"
        "I climbed a ladder to paint the ceiling and my back aches",  # not "bladder"
        "I've never been this stiff, my lower back aches",  # never is not "fever"
    ],
)
def test_real_words_next_to_red_flag_terms_are_not_misread_as_typos(text: str) -> None:
    assert assess(text) is None


def test_curly_apostrophes_and_full_width_letters_are_normalised() -> None:
    assert kind_of("I can\u2019t pee and my back hurts") == "red_flag"
    full_width = "\uff29 \uff23\uff21\uff2e'\uff34 \uff30\uff25\uff25, my back hurts"  # I CAN'T PEE
    assert kind_of(full_width) == "red_flag"


def test_triage_is_deterministic_and_returns_frozen_results() -> None:
    first, second = assess("sciatica in both legs"), assess("sciatica in both legs")
    assert first == second
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.reason = "changed"  # type: ignore[misc, union-attr]


# ---- the messages ----------------------------------------------------------------------


def test_emergency_message_says_call_emergency_number_or_go_to_the_emergency_department() -> None:
    message = red_flag_message(Triage(TriageKind.RED_FLAG, "cauda_equina:bladder", "emergency"))
    assert all(number in message for number in EMERGENCY_NUMBERS)
    assert "emergency department now" in message
    assert "cauda equina" in message.lower()


def test_urgent_message_says_see_a_doctor_today_and_names_nhs_111() -> None:
    message = red_flag_message(Triage(TriageKind.RED_FLAG, "fever_with_back_pain", "urgent"))
    assert "see a doctor today" in message
    assert "NHS 111" in message and "urgent care" in message
    assert "fever" in message


def test_red_flag_messages_never_claim_a_diagnosis_or_give_a_dose() -> None:
    for case in RED_FLAG_CASES:
        message = red_flag_message(assess(case["text"]))  # type: ignore[arg-type]
        assert not re.search(r"\b\d+ ?(?:mg|ml|tablets?|pills?)\b|\bdose\b", message, re.I)
        assert not re.search(
            r"\byou (?:have|'ve got|definitely have) (?:a |an )?(?:cauda|infection|cancer|"
            r"fracture|heart attack|tumou?r)",
            message,
            re.I,
        )
        assert re.search(r"can be a sign|can mean|if you think|needs? to be checked", message)


def test_unknown_reason_still_gets_an_actionable_message() -> None:
    message = red_flag_message(Triage(TriageKind.RED_FLAG, "something_new", "emergency"))
    assert all(number in message for number in EMERGENCY_NUMBERS)


def test_crisis_message_lists_helplines_first_and_says_it_is_a_bot() -> None:
    message = crisis_message()
    for part in ("988", "116 123", "85258", "findahelpline.com", *EMERGENCY_NUMBERS):
        assert part in message
    assert "immediate danger" in message
    assert "automated bot" in message and "not a counsellor" in message
    assert message.index("988") < message.index("automated bot")


def test_crisis_message_encourages_contacting_a_person_and_never_mentions_methods() -> None:
    message = crisis_message().lower()
    assert "someone you trust" in message
    assert not re.search(r"\b(?:pills?|overdose|dose|rope|knife|jump|method)\b", message)


# ---- public API ------------------------------------------------------------------------


def test_public_api_is_exported() -> None:
    assert set(triage_package.__all__) >= {
        "Triage",
        "TriageKind",
        "assess",
        "red_flag_message",
        "crisis_message",
    }
    assert {k.value for k in TriageKind} == {
        "crisis",
        "red_flag",
        "greeting",
        "acknowledgement",
        "help",
        "dose",
        "not_english",
    }


def test_disclaimer_is_one_short_sentence_naming_advice_and_the_emergency_number() -> None:
    assert len(DISCLAIMER) <= 140
    assert DISCLAIMER.count(".") == 1 and DISCLAIMER.endswith(".")
    assert "not medical advice" in DISCLAIMER and "emergency number" in DISCLAIMER


@pytest.mark.parametrize(
    "message",
    [
        "dad 79 fell in the garden yesterday, back really hurts",
        "gran took a tumble on the stairs, sore hip",
        "I am 72 and slipped in the bathroom, my lower back is agony",
        "my 80 year old neighbour fell, she says her hip hurts",
    ],
)
def test_a_fall_in_an_older_person_is_a_red_flag_without_the_model(message: str) -> None:
    result = assess(message)
    assert result is not None and result.reason == "fracture_risk:fall_in_older_person"


@pytest.mark.parametrize(
    "message",
    [
        "my grandad fell asleep in his chair and woke with a stiff back",
        "i am 30 and fell over, back sore",
        "my nan fell 10 years ago and broke her hip, now her back aches",
        "I fell off my bike at 8 years old, now 70 and back aches",
    ],
)
def test_a_fall_long_ago_young_or_asleep_is_not_an_older_persons_fall(message: str) -> None:
    result = assess(message)
    assert result is None or result.reason != "fracture_risk:fall_in_older_person"


def test_a_normal_state_after_a_finding_negates_it_but_not_after_a_loss() -> None:
    assert assess("Bowel and bladder normal. Saddle sensation normal. Back pain worse bending") is None
    result = assess("cant pee ok since yesterday, back pain")
    assert result is not None and result.kind is TriageKind.RED_FLAG


def test_a_crisis_word_in_a_study_question_is_no_crisis_but_a_first_person_one_is() -> None:
    assert assess("is there a link between chronic pain and suicide? writing an essay on it") is None
    result = assess("writing an essay on back pain and honestly I want to kill myself")
    assert result is not None and result.kind is TriageKind.CRISIS


def test_self_harm_told_as_long_over_is_no_crisis_but_back_again_is() -> None:
    told_as_over = "I used to self-harm as a teenager, that's years behind me. is massage ok for sciatica?"
    assert assess(told_as_over) is None
    result = assess("I used to self-harm, it was years behind me, but I've started again with the pain")
    assert result is not None and result.kind is TriageKind.CRISIS


@pytest.mark.parametrize(
    "message",
    [
        "burned myself with a lighter again tonight, it helps with the pain for a bit",
        "stubbed a cigarette out on my wrist last night",
        "my brother cleaned his rifle and put his affairs in order, now he wont answer",
        "I walk to the bridge at night and think about how easy it would be, one step",
    ],
)
def test_burning_on_purpose_and_preparations_with_the_means_are_a_crisis(message: str) -> None:
    result = assess(message)
    assert result is not None and result.kind is TriageKind.CRISIS


@pytest.mark.parametrize(
    "message",
    [
        "i burned my arm on the iron while ironing a shirt, ouch",
        "my heat pack burned my skin, left a mark",
        "grandad put his affairs in order after the diagnosis, his back is sore",
        "took photos from the bridge, thinking how pretty it was, my back hurts from the walk",
    ],
)
def test_kitchen_burns_estate_planning_and_views_are_no_crisis(message: str) -> None:
    result = assess(message)
    assert result is None or result.kind is not TriageKind.CRISIS


@pytest.mark.parametrize(
    "message",
    [
        "whats the easiest way to go, seriously",
        "honestly im not sticking around much longer",
        "cant see myself being around by christmas",
        "the life insurance pays out if i wasnt here, theyd be fine",
        "if i got run over tomorrow i honestly wouldnt care",
        "ive been keeping my tramadol back, about 30 now, for when im ready",
        "how many of my amitriptyline would it take",
        "banged my head on the wall till it bled, wanted it to hurt",
        "keep staring at the rifle in the cupboard, just in case",
        "stood at the edge of the platform and nearly stepped when the train came",
    ],
)
def test_asking_how_not_being_around_saved_tablets_and_means_at_hand_are_a_crisis(message: str) -> None:
    result = assess(message)
    assert result is not None and result.kind is TriageKind.CRISIS


@pytest.mark.parametrize(
    "message",
    [
        "whats the quickest way to go to the hospital from here",
        "would it be quick to recover from a disc bulge?",
        "saving my tramadol for the holiday flight",
        "scratched my mosquito bites till they bled, oops",
        "i keep my hunting rifle locked away, back sore from the hike",
        "Back in 2019 I thought about ending it. Got help and I am doing really well now. Core exercises?",
        "Im a physio. How would you ask a patient with back pain about suicidal thoughts?",
        "Not suicidal or anything, just sick of this back. what else is out there?",
    ],
)
def test_directions_recovery_trips_itches_hunting_past_crises_and_professionals_are_no_crisis(
    message: str,
) -> None:
    result = assess(message)
    assert result is None or result.kind is not TriageKind.CRISIS


def test_a_past_crisis_that_came_back_is_a_crisis_and_a_role_does_not_hide_one() -> None:
    for message in (
        "Back in 2019 I thought about ending it. I was doing well but now I want to end it again",
        "Im a nurse and honestly I want to kill myself",
    ):
        result = assess(message)
        assert result is not None and result.kind is TriageKind.CRISIS


def test_not_minding_being_hit_by_a_bus_is_a_passive_wish_even_when_suicidal_is_denied() -> None:
    result = assess("wouldnt mind if a bus hit me tbh, not suicidal exactly")
    assert result is not None and result.kind is TriageKind.CRISIS
