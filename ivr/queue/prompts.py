"""What callers hear while queueing, asking for a callback or being called back, per language.

These are defaults: a prompt of the same name under `prompts:` in config/ivr.yaml wins, so the
PES can reword them without a code change (the callback refusals, `callback_abroad` and the
like, live only there: the flow file must have them). A language the flow adds later falls back to the
flow's first language rather than failing the call.
"""

from __future__ import annotations

from twilio.twiml.voice_response import Gather, VoiceResponse

from ivr.telephony.twiml import Speaker

PROMPTS: dict[str, dict[str, str]] = {
    "queue_joined": {
        "en": "Thank you. Please stay on the line: you are now waiting for an adviser.",
        "es": "Gracias. No cuelgue: está en espera para hablar con un asesor.",
        "fr": "Merci. Restez en ligne : vous êtes en attente d'un conseiller.",
        "ko": "감사합니다. 끊지 말고 기다려 주세요. 상담원 연결을 기다리고 계십니다.",
    },
    "queue_next": {
        "en": "You are next in line.",
        "es": "Es usted el siguiente.",
        "fr": "Vous êtes le prochain.",
        "ko": "다음 순서입니다.",
    },
    "queue_position": {
        "en": "You are number {position} in line.",
        "es": "Es usted el número {position} en la cola.",
        "fr": "Vous êtes le numéro {position} dans la file d'attente.",
        "ko": "현재 대기 순서는 {position}번째입니다.",
    },
    "queue_wait_one": {
        "en": "The expected wait is about 1 minute.",
        "es": "El tiempo de espera previsto es de 1 minuto aproximadamente.",
        "fr": "L'attente prévue est d'environ 1 minute.",
        "ko": "예상 대기 시간은 약 1분입니다.",
    },
    "queue_wait": {
        "en": "The expected wait is about {minutes} minutes.",
        "es": "El tiempo de espera previsto es de unos {minutes} minutos.",
        "fr": "L'attente prévue est d'environ {minutes} minutes.",
        "ko": "예상 대기 시간은 약 {minutes}분입니다.",
    },
    "queue_callback_hint": {
        "en": "To be called back instead, keeping your place in line, press 1.",
        "es": "Si prefiere que le llamemos, sin perder su turno, pulse 1.",
        "fr": "Pour être rappelé, sans perdre votre place dans la file, appuyez sur 1.",
        "ko": "순서를 유지한 채 전화를 다시 받으시려면 1번을 누르세요.",
    },
    "queue_connecting": {
        "en": "An adviser is taking your call. Please hold.",
        "es": "Un asesor va a atender su llamada. No cuelgue.",
        "fr": "Un conseiller prend votre appel. Restez en ligne.",
        "ko": "상담원이 곧 전화를 받습니다. 잠시만 기다려 주세요.",
    },
    "queue_no_advisers": {
        "en": "No adviser for this service is available at the moment.",
        "es": "En este momento no hay ningún asesor disponible para este servicio.",
        "fr": "Aucun conseiller n'est disponible pour ce service pour le moment.",
        "ko": "지금은 이 서비스의 상담원이 없습니다.",
    },
    "queue_full": {
        "en": "All our advisers are busy and too many people are already waiting.",
        "es": "Todos nuestros asesores están ocupados y ya hay demasiadas personas esperando.",
        "fr": "Tous nos conseillers sont occupés et trop de personnes attendent déjà.",
        "ko": "모든 상담원이 통화 중이며 대기자가 너무 많습니다.",
    },
    "queue_long_wait": {
        "en": "We are sorry you have been waiting so long.",
        "es": "Sentimos que haya tenido que esperar tanto.",
        "fr": "Nous sommes désolés de vous avoir fait attendre si longtemps.",
        "ko": "오래 기다리게 해 드려 죄송합니다.",
    },
    "queue_offer": {
        "en": "To be called back by an adviser, press 1. To leave a message, press 2.",
        "es": "Para que un asesor le llame, pulse 1. Para dejar un mensaje, pulse 2.",
        "fr": "Pour être rappelé par un conseiller, appuyez sur 1. Pour laisser un message, appuyez sur 2.",
        "ko": "상담원의 전화를 받으시려면 1번, 메시지를 남기시려면 2번을 누르세요.",
    },
    "callback_readback": {
        "en": "We will call you back on the number ending in {digits}. If that is right, press 1. "
              "To key in another number, press 2.",
        "es": "Le llamaremos al número que termina en {digits}. Si es correcto, pulse 1. "
              "Para marcar otro número, pulse 2.",
        "fr": "Nous vous rappellerons au numéro se terminant par {digits}. Si c'est correct, "
              "appuyez sur 1. Pour saisir un autre numéro, appuyez sur 2.",
        "ko": "끝자리가 {digits}인 번호로 전화드리겠습니다. "
              "맞으면 1번, 다른 번호를 입력하시려면 2번을 누르세요.",
    },
    "callback_enter": {
        "en": "Please key in the phone number we should call, with its area code, then press the hash key.",
        "es": "Marque el número de teléfono al que debemos llamarle, con su prefijo, y pulse la tecla "
              "almohadilla.",
        "fr": "Saisissez le numéro de téléphone auquel vous rappeler, avec son indicatif, "
              "puis la touche dièse.",
        "ko": "전화받으실 번호를 지역번호와 함께 입력하신 후 우물 정자를 누르세요.",
    },
    "callback_typed": {
        "en": "You entered {digits}. If that is right, press 1. To key it in again, press 2.",
        "es": "Ha marcado {digits}. Si es correcto, pulse 1. Para marcarlo de nuevo, pulse 2.",
        "fr": "Vous avez saisi {digits}. Si c'est correct, appuyez sur 1. Pour recommencer, appuyez sur 2.",
        "ko": "입력하신 번호는 {digits}입니다. 맞으면 1번, 다시 입력하시려면 2번을 누르세요.",
    },
    "callback_invalid": {
        "en": "Sorry, that is not a phone number we can call.",
        "es": "Lo sentimos, no podemos llamar a ese número.",
        "fr": "Désolé, nous ne pouvons pas appeler ce numéro.",
        "ko": "죄송합니다. 전화를 걸 수 없는 번호입니다.",
    },
    "callback_booked_one": {
        "en": "Thank you. You keep your place in line, and an adviser will call you back in about 1 minute.",
        "es": "Gracias. Conserva su turno y un asesor le llamará en 1 minuto aproximadamente.",
        "fr": "Merci. Vous gardez votre place, et un conseiller vous rappellera dans environ 1 minute.",
        "ko": "감사합니다. 순서는 그대로 유지되며, 약 1분 후에 상담원이 전화드리겠습니다.",
    },
    "callback_booked": {
        "en": "Thank you. You keep your place in line, and an adviser will call you back in about "
              "{minutes} minutes.",
        "es": "Gracias. Conserva su turno y un asesor le llamará en unos {minutes} minutos.",
        "fr": "Merci. Vous gardez votre place, et un conseiller vous rappellera dans environ "
              "{minutes} minutes.",
        "ko": "감사합니다. 순서는 그대로 유지되며, 약 {minutes}분 후에 상담원이 전화드리겠습니다.",
    },
    "callback_booked_later": {
        "en": "Thank you. An adviser will call you back as soon as our advisers are available.",
        "es": "Gracias. Un asesor le llamará en cuanto nuestros asesores estén disponibles.",
        "fr": "Merci. Un conseiller vous rappellera dès que nos conseillers seront disponibles.",
        "ko": "감사합니다. 상담원이 업무를 시작하는 대로 전화드리겠습니다.",
    },
    "adviser_missed": {
        "en": "Sorry, the adviser could not take your call. You keep your place in line.",
        "es": "Lo sentimos, el asesor no ha podido atender su llamada. Conserva su turno.",
        "fr": "Désolé, le conseiller n'a pas pu prendre votre appel. Vous gardez votre place.",
        "ko": "죄송합니다. 상담원이 전화를 받지 못했습니다. 순서는 그대로 유지됩니다.",
    },
    "transferring": {
        "en": "Please hold while we put you through to {queue}.",
        "es": "No cuelgue, le pasamos con {queue}.",
        "fr": "Restez en ligne, nous vous mettons en relation avec le service {queue}.",
        "ko": "{queue} 담당으로 연결해 드리겠습니다. 잠시만 기다려 주세요.",
    },
    "callback_greeting": {
        "en": "Hello, this is the {helpline}, returning your call. To be connected to an adviser now, "
              "press 1.",
        "es": "Hola, le llamamos del {helpline}, como nos pidió. Para hablar ahora con un asesor, pulse 1.",
        "fr": "Bonjour, ici le {helpline}, nous vous rappelons comme convenu. Pour parler à un conseiller "
              "maintenant, appuyez sur 1.",
        "ko": "안녕하세요, {helpline}입니다. 요청하신 대로 전화드렸습니다. "
              "지금 상담원과 연결하시려면 1번을 누르세요.",
    },
    "callback_try_later": {
        "en": "We will try to call you again later. Goodbye.",
        "es": "Intentaremos llamarle de nuevo más tarde. Adiós.",
        "fr": "Nous essaierons de vous rappeler plus tard. Au revoir.",
        "ko": "나중에 다시 전화드리겠습니다. 안녕히 계세요.",
    },
    "service_down": {  # the off-box fallback (ivr/offline_twiml.py), when Jobline cannot answer
        "en": "Sorry, our phone service is not working at the moment. Please call again later.",
        "es": "Lo sentimos, nuestro servicio telefónico no funciona en este momento. "
              "Vuelva a llamar más tarde.",
        "fr": "Désolé, notre service téléphonique ne fonctionne pas pour le moment. "
              "Veuillez rappeler plus tard.",
        "ko": "죄송합니다. 지금은 전화 상담 서비스가 작동하지 않습니다. 나중에 다시 전화해 주세요.",
    },
    "service_down_dial": {
        "en": "Sorry, our phone service is not working at the moment. Please hold: we are putting "
              "you through to another line.",
        "es": "Lo sentimos, nuestro servicio telefónico no funciona en este momento. No cuelgue: le "
              "pasamos con otra línea.",
        "fr": "Désolé, notre service téléphonique ne fonctionne pas pour le moment. Restez en ligne : "
              "nous vous mettons en relation avec une autre ligne.",
        "ko": "죄송합니다. 지금은 전화 상담 서비스가 작동하지 않습니다. 끊지 말고 기다려 주세요. "
              "다른 회선으로 연결해 드리겠습니다.",
    },
    "whisper": {
        "en": "Jobline call from the {queue} queue. Press 1 to take it.",
        "es": "Llamada de Jobline de la cola {queue}. Pulse 1 para atenderla.",
        "fr": "Appel Jobline de la file {queue}. Appuyez sur 1 pour le prendre.",
        "ko": "{queue} 대기열에서 온 Jobline 전화입니다. 받으시려면 1번을 누르세요.",
    },
}


def worded(sp: Speaker, name: str, **values: object) -> tuple[str, str]:
    """(language, text) of the prompt: the flow file's wording first, then the default; a
    language without either falls back to the flow's first language (or English)."""
    texts, defaults = sp.flow.prompts.get(name) or {}, PROMPTS.get(name) or {}
    for lang in (sp.lang, sp.flow.default_language, "en"):
        chosen = texts.get(lang) or defaults.get(lang)
        if chosen:
            return lang, chosen.format(**values) if values else chosen
    raise KeyError(f"prompt {name!r} has no text in {sp.lang!r}, the default language or English")


def text(sp: Speaker, name: str, **values: object) -> str:
    return worded(sp, name, **values)[1]


def say(sp: Speaker, target: VoiceResponse | Gather, name: str, **values: object) -> None:
    lang, words = worded(sp, name, **values)
    sp.say(target, words, lang)  # a fallback text is spoken by its own language's voice
