"""What callers hear while queueing, asking for a callback or being called back, per language.

These are defaults: a prompt of the same name under `prompts:` in config/ivr.yaml wins, so the
PES can reword them without a code change. A language the flow adds later falls back to the
flow's first language rather than failing the call.
"""

from __future__ import annotations

from twilio.twiml.voice_response import Gather, VoiceResponse

from ivr.twiml import Speaker

PROMPTS: dict[str, dict[str, str]] = {
    "queue_joined": {
        "en": "Thank you. Please stay on the line: you are now waiting for an adviser.",
        "es": "Gracias. No cuelgue: está en espera para hablar con un asesor.",
        "fr": "Merci. Restez en ligne : vous êtes en attente d'un conseiller.",
    },
    "queue_next": {
        "en": "You are next in line.",
        "es": "Es usted el siguiente.",
        "fr": "Vous êtes le prochain.",
    },
    "queue_position": {
        "en": "You are number {position} in line.",
        "es": "Es usted el número {position} en la cola.",
        "fr": "Vous êtes le numéro {position} dans la file d'attente.",
    },
    "queue_wait_one": {
        "en": "The expected wait is about 1 minute.",
        "es": "El tiempo de espera previsto es de 1 minuto aproximadamente.",
        "fr": "L'attente prévue est d'environ 1 minute.",
    },
    "queue_wait": {
        "en": "The expected wait is about {minutes} minutes.",
        "es": "El tiempo de espera previsto es de unos {minutes} minutos.",
        "fr": "L'attente prévue est d'environ {minutes} minutes.",
    },
    "queue_callback_hint": {
        "en": "To be called back instead, keeping your place in line, press 1.",
        "es": "Si prefiere que le llamemos, sin perder su turno, pulse 1.",
        "fr": "Pour être rappelé, sans perdre votre place dans la file, appuyez sur 1.",
    },
    "queue_connecting": {
        "en": "An adviser is taking your call. Please hold.",
        "es": "Un asesor va a atender su llamada. No cuelgue.",
        "fr": "Un conseiller prend votre appel. Restez en ligne.",
    },
    "queue_no_advisers": {
        "en": "No adviser for this service is available at the moment.",
        "es": "En este momento no hay ningún asesor disponible para este servicio.",
        "fr": "Aucun conseiller n'est disponible pour ce service pour le moment.",
    },
    "queue_full": {
        "en": "All our advisers are busy and too many people are already waiting.",
        "es": "Todos nuestros asesores están ocupados y ya hay demasiadas personas esperando.",
        "fr": "Tous nos conseillers sont occupés et trop de personnes attendent déjà.",
    },
    "queue_long_wait": {
        "en": "We are sorry you have been waiting so long.",
        "es": "Sentimos que haya tenido que esperar tanto.",
        "fr": "Nous sommes désolés de vous avoir fait attendre si longtemps.",
    },
    "queue_offer": {
        "en": "To be called back by an adviser, press 1. To leave a message, press 2.",
        "es": "Para que un asesor le llame, pulse 1. Para dejar un mensaje, pulse 2.",
        "fr": "Pour être rappelé par un conseiller, appuyez sur 1. Pour laisser un message, appuyez sur 2.",
    },
    "callback_readback": {
        "en": "We will call you back on the number ending in {digits}. If that is right, press 1. "
              "To key in another number, press 2.",
        "es": "Le llamaremos al número que termina en {digits}. Si es correcto, pulse 1. "
              "Para marcar otro número, pulse 2.",
        "fr": "Nous vous rappellerons au numéro se terminant par {digits}. Si c'est correct, "
              "appuyez sur 1. Pour saisir un autre numéro, appuyez sur 2.",
    },
    "callback_enter": {
        "en": "Please key in the phone number we should call, with its area code, then press the hash key.",
        "es": "Marque el número de teléfono al que debemos llamarle, con su prefijo, y pulse la tecla "
              "almohadilla.",
        "fr": "Saisissez le numéro de téléphone auquel vous rappeler, avec son indicatif, "
              "puis la touche dièse.",
    },
    "callback_typed": {
        "en": "You entered {digits}. If that is right, press 1. To key it in again, press 2.",
        "es": "Ha marcado {digits}. Si es correcto, pulse 1. Para marcarlo de nuevo, pulse 2.",
        "fr": "Vous avez saisi {digits}. Si c'est correct, appuyez sur 1. Pour recommencer, appuyez sur 2.",
    },
    "callback_invalid": {
        "en": "Sorry, that is not a phone number we can call.",
        "es": "Lo sentimos, no podemos llamar a ese número.",
        "fr": "Désolé, nous ne pouvons pas appeler ce numéro.",
    },
    "callback_booked_one": {
        "en": "Thank you. You keep your place in line, and an adviser will call you back in about 1 minute.",
        "es": "Gracias. Conserva su turno y un asesor le llamará en 1 minuto aproximadamente.",
        "fr": "Merci. Vous gardez votre place, et un conseiller vous rappellera dans environ 1 minute.",
    },
    "callback_booked": {
        "en": "Thank you. You keep your place in line, and an adviser will call you back in about "
              "{minutes} minutes.",
        "es": "Gracias. Conserva su turno y un asesor le llamará en unos {minutes} minutos.",
        "fr": "Merci. Vous gardez votre place, et un conseiller vous rappellera dans environ "
              "{minutes} minutes.",
    },
    "callback_booked_later": {
        "en": "Thank you. An adviser will call you back as soon as our advisers are available.",
        "es": "Gracias. Un asesor le llamará en cuanto nuestros asesores estén disponibles.",
        "fr": "Merci. Un conseiller vous rappellera dès que nos conseillers seront disponibles.",
    },
    "adviser_missed": {
        "en": "Sorry, the adviser could not take your call. You keep your place in line.",
        "es": "Lo sentimos, el asesor no ha podido atender su llamada. Conserva su turno.",
        "fr": "Désolé, le conseiller n'a pas pu prendre votre appel. Vous gardez votre place.",
    },
    "transferring": {
        "en": "Please hold while we put you through to {queue}.",
        "es": "No cuelgue, le pasamos con {queue}.",
        "fr": "Restez en ligne, nous vous mettons en relation avec le service {queue}.",
    },
    "callback_greeting": {
        "en": "Hello, this is the {helpline}, returning your call. To be connected to an adviser now, "
              "press 1.",
        "es": "Hola, le llamamos del {helpline}, como nos pidió. Para hablar ahora con un asesor, pulse 1.",
        "fr": "Bonjour, ici le {helpline}, nous vous rappelons comme convenu. Pour parler à un conseiller "
              "maintenant, appuyez sur 1.",
    },
    "callback_try_later": {
        "en": "We will try to call you again later. Goodbye.",
        "es": "Intentaremos llamarle de nuevo más tarde. Adiós.",
        "fr": "Nous essaierons de vous rappeler plus tard. Au revoir.",
    },
    "whisper": {
        "en": "Jobline call from the {queue} queue.",
        "es": "Llamada de Jobline de la cola {queue}.",
        "fr": "Appel Jobline de la file {queue}.",
    },
}


def text(sp: Speaker, name: str, **values: object) -> str:
    """The prompt in the speaker's language: the flow file's wording first, then the default."""
    texts = sp.flow.prompts.get(name) or PROMPTS[name]
    defaults = PROMPTS[name]
    chosen = (texts.get(sp.lang) or defaults.get(sp.lang) or defaults.get(sp.flow.default_language)
              or defaults["en"])
    return chosen.format(**values) if values else chosen


def say(sp: Speaker, target: VoiceResponse | Gather, name: str, **values: object) -> None:
    sp.say(target, text(sp, name, **values))
