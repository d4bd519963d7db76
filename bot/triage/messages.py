"""What triage says: the instruction to seek care, and the reply to a crisis.

These texts never depend on retrieval: the pipeline shows them even when search fails.
"""

from __future__ import annotations

from bot.triage.types import Category, Triage, Urgency

__all__ = ["crisis_message", "red_flag_message"]

_EMERGENCY_ACTION = (
    "Please call your local emergency number (911 in the US, 999 in the UK, 112 in the EU) "
    "or go to the emergency department now. Don't wait to see if it settles."
)
_URGENT_ACTION = (
    "Please see a doctor today (a same-day appointment, urgent care, or NHS 111 in the UK). "
    "If it gets much worse, or you notice new weakness or numbness in your legs, numbness "
    "around your genitals or bottom, or problems controlling your bladder or bowels, call "
    "your local emergency number (911 in the US, 999 in the UK, 112 in the EU)."
)
_CES = "cauda equina syndrome, where the nerves at the bottom of the spine are squeezed"
_WHY = {
    "cauda_equina:bladder": (
        "Loss of bladder control, leaking urine or being unable to pee, together with back "
        f"pain, can be a sign of {_CES}. It needs emergency care."
    ),
    "cauda_equina:bowel": (
        f"Loss of bowel control together with back pain can be a sign of {_CES}. It needs emergency care."
    ),
    "cauda_equina:saddle_numbness": (
        "Numbness or tingling around your genitals, bottom, anus or inner thighs (the "
        f"'saddle' area) can be a sign of {_CES}. It needs emergency care."
    ),
    "cauda_equina:sexual_dysfunction": (
        "New problems with sexual function, such as loss of sensation or erections, together "
        f"with back pain can be a sign of {_CES}. It needs emergency care."
    ),
    "cauda_equina:bilateral_sciatica": (
        f"Sciatica, numbness or weakness in both legs can be a sign of {_CES}. It needs emergency care."
    ),
    "cauda_equina:suspected": (
        f"If you think you might have {_CES}, it needs to be checked in an emergency "
        "department straight away, not at a routine appointment."
    ),
    "neuro:foot_drop": (
        "A foot that drags, slaps or that you can't lift (foot drop) can mean a nerve is being "
        "badly squeezed. It needs to be checked urgently to protect the nerve."
    ),
    "neuro:leg_weakness": (
        "New weakness in your legs, or a leg that gives way, can mean a nerve is being badly "
        "squeezed. It needs to be checked urgently to protect the nerve."
    ),
    "neuro:leg_numbness": (
        "New numbness or loss of feeling in your leg or foot can mean a nerve is being badly "
        "squeezed. It needs to be checked urgently to protect the nerve."
    ),
    "trauma:major": (
        "Back or neck pain after a serious accident, such as a car crash, being hit by a "
        "vehicle or a fall from a height, can mean an injury to the spine. Move as little as "
        "you can until you have been checked."
    ),
    "cardiac:chest_pain": (
        "Chest pain, pressure or tightness, especially if it spreads to your arm, jaw, neck or "
        "back, can be a sign of a heart attack or another serious problem."
    ),
    "vascular:tearing_pain": (
        "Sudden, severe tearing or ripping pain in the chest, back or belly can be a sign of a "
        "problem with the body's main blood vessel (the aorta)."
    ),
    "breathing_difficulty": (
        "Pain together with difficulty breathing can be a sign of a serious problem with the "
        "heart or lungs, such as a blood clot, and needs checking straight away."
    ),
    "fever_with_back_pain": (
        "Back pain together with a fever, chills or night sweats can be a sign of an infection "
        "that needs treatment."
    ),
    "post_procedure": (
        "New or worsening back pain, fever, redness, swelling, leaking or a bad headache after "
        "an epidural, a spinal injection or spinal surgery can be a sign of an infection or "
        "another complication."
    ),
    "cancer_history_with_back_pain": (
        "New back pain in someone who has had cancer needs to be checked by a doctor soon, to "
        "rule out anything spreading to the spine."
    ),
    "weight_loss_with_back_pain": (
        "Back pain together with weight loss you can't explain needs to be checked by a doctor soon."
    ),
    "infection_risk:iv_drug_use": (
        "Back pain in someone who injects drugs can be a sign of an infection in the spine."
    ),
    "infection_risk:immunosuppression": (
        "Back pain in someone with a weakened immune system can be a sign of an infection in the spine."
    ),
    "fracture_risk:fall_in_older_person": (
        "Pain after a fall or a knock in an older person, even a small one, can mean a broken "
        "hip or a broken bone in the spine. If they can't stand or put weight on a leg, don't "
        "try to walk it off."
    ),
    "fracture_risk:osteoporosis_or_steroids": (
        "Back pain after a fall, or that comes on suddenly, in someone with osteoporosis or who "
        "has taken steroids for a long time, can be a sign of a fracture in the spine."
    ),
    "night_pain:unremitting": (
        "Back pain that is constant, or that doesn't ease with rest or lying down, needs to be "
        "checked by a doctor soon."
    ),
}
# When only the classifier recognised the red flag, the message speaks of its category.
_WHY_CATEGORY = {
    Category.CAUDA_EQUINA: (
        "Problems controlling your bladder or bowels, or numbness around your genitals or "
        f"bottom, together with back pain, can be a sign of {_CES}. It needs emergency care."
    ),
    Category.NEURO_DEFICIT: (
        "New or worsening weakness or numbness in a leg or foot can mean a nerve is being badly "
        "squeezed. It needs to be checked urgently to protect the nerve."
    ),
    Category.INFECTION: (
        "Pain together with a fever, chills, or a hot, red, swollen joint can be a sign of an "
        "infection that needs treatment soon. A child who limps or won't walk and has a fever "
        "needs to be seen today."
    ),
    Category.FRACTURE: (
        "Pain after a fall or a knock, especially in an older person, or not being able to put "
        "weight on a leg, can mean a broken bone such as a hip fracture. Don't try to walk it off."
    ),
    Category.MAJOR_TRAUMA: (
        "Back or neck pain after a serious accident, such as a car crash, being hit by a "
        "vehicle or a fall from a height, can mean an injury to the spine. Move as little as "
        "you can until you have been checked."
    ),
    Category.CANCER: (
        "Back pain together with weight loss you can't explain, night sweats, pain that won't "
        "ease at night, or a history of cancer needs to be checked by a doctor soon."
    ),
    Category.VASCULAR: (
        "Sudden, severe tearing or ripping pain in the chest, back or belly can be a sign of a "
        "problem with the body's main blood vessel (the aorta)."
    ),
    Category.CARDIAC: (
        "Chest pain, pressure or tightness, especially if it spreads to your arm, jaw, neck or "
        "back, or comes with breathlessness, can be a sign of a heart attack or another serious "
        "problem."
    ),
}
_WHY_DEFAULT = "The symptoms you describe need to be checked by a doctor."
_SOMEONE_ELSE = (
    "If you are writing about someone else, the same applies to them: help them get this care now."
)


def red_flag_message(t: Triage) -> str:
    """Plain text telling the user to seek care now, specific to ``t.reason`` or its category.

    It explains the concern without a diagnosis ("can be a sign of") and says exactly
    what to do for the urgency. It never mentions a dose.
    """
    why = _WHY.get(t.reason) or (_WHY_CATEGORY.get(t.category) if t.category else None)
    action = _URGENT_ACTION if t.urgency == Urgency.URGENT else _EMERGENCY_ACTION
    parts = [why or _WHY_DEFAULT, action]
    if t.about_someone_else:
        parts.append(_SOMEONE_ELSE)
    parts.append(
        "Limber is an automated bot: it can't examine anyone, so please don't rely on it for these symptoms."
    )
    return "\n\n".join(parts)


def crisis_message(t: Triage | None = None) -> str:
    """A caring reply to thoughts of suicide or self-harm: people and helplines first."""
    someone_else = t is not None and t.about_someone_else
    opening = (
        "I'm really sorry you're worried about someone. If they might act on it, stay with them "
        "if you safely can, and get help now."
        if someone_else
        else "I'm really sorry you're going through this. You don't have to face it alone, and "
        "talking to someone can help right now."
    )
    return (
        f"{opening}\n\n"
        "If anyone is in immediate danger, call your local emergency number (911 in the US, "
        "999 in the UK, 112 in the EU).\n\n"
        "You can talk to someone any time, for free:\n"
        "• US: call or text 988 (Suicide & Crisis Lifeline)\n"
        "• UK and Ireland: call Samaritans on 116 123\n"
        "• UK: text SHOUT to 85258\n"
        "• Elsewhere: find a local helpline at findahelpline.com\n\n"
        "If you can, please reach out to someone you trust, like a friend, a family member or "
        "your doctor, and tell them how you're feeling.\n\n"
        "I'm an automated bot, not a counsellor, so I can't give you the support you deserve, "
        "but the people at these services can."
    )
