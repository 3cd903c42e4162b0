"""A Bot API stand-in: a real HTTP server on loopback that PTB reaches via `base_url`.

It serves the methods the bot uses, in Telegram's shapes (form-encoded and
multipart in, JSON out), and answers 429 with `retry_after` when more than
`sends_per_second` sends arrive within a second. Its driver methods let a test
or the demo play users and read back everything the bot sent, PDF bytes included.
"""

from __future__ import annotations

import email.parser
import email.policy
import itertools
import json
import queue
import secrets
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from bot.sim.loopback import address, hung_up, loopback_server

BOT_USER = {
    "id": 7000000001,
    "is_bot": True,
    "first_name": "Horario UdG",
    "username": "horario_udg_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
SEND_METHODS = {
    "sendMessage",
    "sendDocument",
    "sendPhoto",
    "editMessageText",
    "editMessageMedia",
    "editMessageCaption",
    "sendChatAction",
    "deleteMessage",
}
PHOTO_MAX_BYTES = 10 * 1024 * 1024  # Telegram's limit for a photo sent by upload


# How long `wait_for` waits by default. Generous on purpose: it returns as soon as the message
# arrives, so the limit only matters when something is broken, never on a slow, busy machine.
WAIT_SECONDS = 300.0


@dataclass
class ChatMessage:
    message_id: int
    chat_id: int
    from_bot: bool
    text: str = ""
    reply_markup: dict[str, Any] | None = None
    document: bytes | None = None
    file_id: str | None = None
    filename: str | None = None
    photo: bytes | None = None
    photo_id: str | None = None
    caption: str = ""
    deleted: bool = False
    edits: list[str] = field(default_factory=list)
    forwarded: bool = False
    at: float = field(default_factory=time.monotonic)  # when it appeared in the stand-in

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback_data) of every inline button."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [(b.get("text", ""), b.get("callback_data", "")) for row in rows for b in row]


QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"


class ApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after


class BotApiStandIn:
    def __init__(
        self,
        token: str,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        sends_per_second: int = 30,
        keep_files: bool = True,
    ) -> None:
        self.token = token
        self.sends_per_second = sends_per_second
        self.keep_files = keep_files  # a benchmark of 10,000 PDFs keeps sizes only
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._chats: dict[int, list[ChatMessage]] = {}
        self._chat_types: dict[
            int, str
        ] = {}  # chats that are not private: "group", "supergroup", "channel"
        self._chat_titles: dict[int, str] = {}
        self._members: dict[
            int, dict[int, str]
        ] = {}  # group chat → user → status ("member", "left"…)
        self.bot_can_delete_in_groups = True  # False: plays a bot that is not a group admin
        self._files: dict[str, tuple[bytes, str]] = {}
        self._send_times: deque[float] = deque()
        self._stopping = False
        self.calls: Counter[str] = Counter()
        self.too_many_requests = 0
        self.uploads = 0
        self.documents_sent: Counter[int] = Counter()
        self.commands: list[dict[str, str]] = []
        self.chat_actions: Counter[int] = Counter()
        self.transcript: list[str] = []
        self._callback_answers: dict[str, str | None] = {}  # callback query id → its answer's text
        self.answers_refused = (
            0  # answerCallbackQuery calls refused: a second answer or an unknown id
        )
        self._webhook: tuple[str, str] | None = None  # (url, secret) the bot registered
        self._backends: list[str] = []  # where the "load balancer" sends webhook posts
        self._outbox: queue.Queue[dict[str, Any]] = queue.Queue()
        self.webhook_posts: Counter[str] = Counter()
        self._documents_released = threading.Event()
        self._documents_released.set()
        self._documents_passing = 0  # sendDocument requests past the hold and not answered yet
        self._names: dict[int, str] = {}  # the first name each user last spoke with
        self._server = loopback_server(host, port, self._serve)

    # ---- lifecycle ---------------------------------------------------------
    @property
    def base_url(self) -> str:
        return address(self._server) + "/bot"

    @property
    def file_url(self) -> str:
        return address(self._server) + "/file/bot"

    def start(self) -> BotApiStandIn:
        # stop() waits until serve_forever next looks at its flag: at most one poll interval
        # (the default half second was paid by every test that used the stand-in).
        threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="botapi",
            daemon=True,
        ).start()
        threading.Thread(target=self._deliver_webhooks, name="botapi-webhook", daemon=True).start()
        return self

    def stop(self) -> None:
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        self._outbox.put({})
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> BotApiStandIn:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # ---- driver: play users -------------------------------------------------
    def user_says(
        self,
        user_id: int,
        text: str,
        first_name: str = "Alumno",
        *,
        chat_id: int | None = None,
        chat_type: str = "private",
        forwarded: bool = False,
        title: str | None = None,
    ) -> int:
        """`chat_id`/`chat_type` play a group (negative id, "group" or "supergroup", named
        `title`); the speaker becomes a member of it. `forwarded` sends it as a message forwarded
        from someone else. Default: the user's private chat."""
        chat = user_id if chat_id is None else chat_id
        with self._changed:
            if chat_type != "private":
                self._chat_types[chat] = chat_type
                if title is not None:
                    self._chat_titles[chat] = title
                self._members.setdefault(chat, {})[user_id] = "member"
            message = self._new_message(chat, from_bot=False, text=text, forwarded=forwarded)
            payload = self._message_json(message, sender=self._user(user_id, first_name))
            self._names[user_id] = first_name
            if text.startswith("/"):
                command = text.split()[0]
                payload["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
            self._push({"message": payload})
            self.transcript.append(
                f"[{chat}] > {text}" if chat == user_id else f"[{chat}] [{user_id}] > {text}"
            )
            return message.message_id

    def user_presses(self, user_id: int, message: ChatMessage, label_or_data: str) -> None:
        data = next((d for label, d in message.buttons if label_or_data in (label, d)), None)
        if data is None:
            raise LookupError(
                f"no button {label_or_data!r} on message {message.message_id}: {message.buttons}"
            )
        self.user_sends_callback(user_id, message, data, shown=label_or_data)

    def user_sends_callback(
        self, user_id: int, message: ChatMessage, data: str, *, shown: str | None = None
    ) -> str:
        """A press with any callback data on `message`, as a hand-made client can send;
        returns the callback query's id (see `callback_answer`)."""
        query_id = secrets.token_hex(8)
        with self._changed:
            self._callback_answers[query_id] = None
            callback = {
                "id": query_id,
                "from": self._user(user_id, self._names.get(user_id, "Alumno")),
                "chat_instance": str(user_id),
                "data": data,
                "message": self._message_json(message, sender=BOT_USER),
            }
            self._push({"callback_query": callback})
            self.transcript.append(f"[{user_id}] > (botón) {shown or data}")
        return query_id

    def callback_answer(self, query_id: str, timeout: float = WAIT_SECONDS) -> str:
        """The text the bot answered a press with ('' for a silent answer), once it answered."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._callback_answers.get(query_id) is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"the press {query_id} was not answered")
                self._changed.wait(left)
            return self._callback_answers[query_id] or ""

    def group_event(
        self, chat_id: int, user_id: int, status: str, *, about_bot: bool = False
    ) -> None:
        """A member's status in a group changes ("member", "left", "kicked"…), as Telegram
        reports it: a `chat_member` update, or `my_chat_member` when `about_bot`. The bot gets
        `chat_member` updates only when it asks for them and is an administrator; either way
        `getChatMember` answers the new status from now on."""
        with self._changed:
            members = self._members.setdefault(chat_id, {})
            old = members.get(user_id, "left")
            members[user_id] = status
            subject = (
                BOT_USER if about_bot else self._user(user_id, self._names.get(user_id, "Alumno"))
            )
            self._push(
                {
                    "my_chat_member" if about_bot else "chat_member": {
                        "chat": self._chat_json(chat_id),
                        "from": subject,
                        "date": int(time.time()),
                        "old_chat_member": {"status": old, "user": subject},
                        "new_chat_member": {"status": status, "user": subject},
                    }
                }
            )
            self.transcript.append(f"[{chat_id}] ({user_id}: {old} → {status})")

    def hold_documents(self) -> None:
        """Every sendDocument from now on waits, unanswered and not yet delivered, until
        `release_documents()`; one whose sender is gone by then is never delivered. Those
        already past the hold go on: `documents_passing()` counts them until answered."""
        with self._lock:
            self._documents_released.clear()

    def documents_passing(self) -> int:
        with self._lock:
            return self._documents_passing

    def release_documents(self) -> None:
        self._documents_released.set()

    def hold_file(self, content: bytes, filename: str) -> str:
        """A document Telegram already holds (as if uploaded earlier): its file_id."""
        file_id = "BQAC" + secrets.token_urlsafe(24)
        with self._lock:
            self._files[file_id] = (content, filename)
        return file_id

    def route_webhook_to(self, backends: list[str]) -> None:
        """Play the load balancer: spread webhook posts over these replica URLs, in turn."""
        with self._lock:
            self._backends = list(backends)

    @property
    def webhook(self) -> tuple[str, str] | None:
        return self._webhook

    # ---- driver: read back ----------------------------------------------------
    def chat(self, chat_id: int) -> list[ChatMessage]:
        with self._lock:
            return list(self._chats.get(chat_id, []))

    def bot_messages(self, chat_id: int) -> list[ChatMessage]:
        return [m for m in self.chat(chat_id) if m.from_bot]

    def documents(self, chat_id: int) -> list[ChatMessage]:
        return [m for m in self.bot_messages(chat_id) if m.file_id]

    def photos(self, chat_id: int) -> list[ChatMessage]:
        return [m for m in self.bot_messages(chat_id) if m.photo_id]

    def wait_for(
        self,
        chat_id: int,
        predicate: Callable[[ChatMessage], bool],
        timeout: float = WAIT_SECONDS,
        after: int = 0,
    ) -> ChatMessage:
        """The first bot message (after message id `after`) that satisfies `predicate`."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for message in self._chats.get(chat_id, []):
                    if message.from_bot and message.message_id > after and predicate(message):
                        return message
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    texts = [
                        m.text or m.caption or m.filename for m in self._chats.get(chat_id, [])
                    ]
                    raise TimeoutError(
                        f"chat {chat_id}: no matching bot message; chat so far: {texts}"
                    )
                self._changed.wait(min(remaining, 0.5))

    def wait_for_text(
        self, chat_id: int, fragment: str, timeout: float = WAIT_SECONDS, after: int = 0
    ) -> ChatMessage:
        return self.wait_for(
            chat_id, lambda m: fragment.lower() in (m.text or m.caption).lower(), timeout, after
        )

    def forget_files(self) -> None:
        """Refuse every file id handed out so far, as Telegram may refuse an old one."""
        with self._lock:
            self._files.clear()

    def user_texts(self) -> list[str]:
        """Everything users typed, in every chat."""
        with self._lock:
            return [
                m.text for chat in self._chats.values() for m in chat if not m.from_bot and m.text
            ]

    def last_message_id(self, chat_id: int) -> int:
        chat = self.chat(chat_id)
        return chat[-1].message_id if chat else 0

    # ---- HTTP --------------------------------------------------------------------
    def _serve(self, request: BaseHTTPRequestHandler, _method: str) -> None:
        """Every Bot API method answers GET and POST alike."""
        path = urlsplit(request.path).path
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        prefix = f"/bot{self.token}/"
        if not path.startswith(prefix):
            self._reply(
                request, 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
            )
            return
        method = path[len(prefix) :]
        if method == "sendDocument":
            waited = self._pass_document_hold()
            try:
                if waited and hung_up(request):
                    return  # the sender died or gave up while held: Telegram never got this document
                self._answer(request, method, body)
            finally:
                with self._lock:
                    self._documents_passing -= 1
            return
        self._answer(request, method, body)

    def _pass_document_hold(self) -> bool:
        """Wait while documents are held; count this one as passing, atomically with the
        check, so a test that held documents sees every one that got through. True: it waited."""
        waited = False
        while True:
            with self._lock:
                if self._documents_released.is_set() or self._stopping:
                    self._documents_passing += 1
                    return waited
            waited = True
            self._documents_released.wait(0.05)

    def _answer(self, request: BaseHTTPRequestHandler, method: str, body: bytes) -> None:
        params, files = _parse_body(
            request.headers.get("Content-Type", ""), body, urlsplit(request.path).query
        )
        try:
            result = self._call(method, params, files)
        except ApiError as error:
            payload: dict[str, Any] = {
                "ok": False,
                "error_code": error.code,
                "description": error.description,
            }
            if error.retry_after is not None:
                payload["parameters"] = {"retry_after": error.retry_after}
            self._reply(request, error.code, payload)
            return
        self._reply(request, 200, {"ok": True, "result": result})

    def _call(
        self, method: str, params: dict[str, str], files: dict[str, tuple[bytes, str]]
    ) -> Any:
        with self._changed:
            self.calls[method] += 1
        if method in SEND_METHODS:
            self._count_send()
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            raise ApiError(404, "Not Found: method not found")
        return handler(params, files)

    def _count_send(self) -> None:
        with self._changed:
            now = time.monotonic()
            while self._send_times and now - self._send_times[0] > 1.0:
                self._send_times.popleft()
            if len(self._send_times) >= self.sends_per_second:
                self.too_many_requests += 1
                raise ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
            self._send_times.append(now)

    # ---- Bot API methods -------------------------------------------------------------
    def _api_getMe(self, *_: Any) -> dict[str, Any]:
        return BOT_USER

    def _api_deleteWebhook(self, *_: Any) -> bool:
        with self._changed:
            self._webhook = None
        return True

    def _api_setWebhook(self, params: dict[str, str], _: Any) -> bool:
        with self._changed:
            self._webhook = (params["url"], params.get("secret_token", ""))
            pending, self._updates = self._updates, []
        for update in pending:
            self._outbox.put(update)
        return True

    def _api_getWebhookInfo(self, *_: Any) -> dict[str, Any]:
        return {
            "url": self._webhook[0] if self._webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": self._outbox.qsize(),
        }

    def _api_setMyCommands(self, params: dict[str, str], _: Any) -> bool:
        self.commands = json.loads(params.get("commands", "[]"))
        return True

    def _api_getUpdates(self, params: dict[str, str], _: Any) -> list[dict[str, Any]]:
        if self._webhook is not None:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + timeout
        with self._changed:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._updates and not self._stopping:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._changed.wait(remaining)
            return self._updates[:limit]

    def _api_sendMessage(self, params: dict[str, str], _: Any) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        with self._changed:
            message = self._new_message(
                chat_id, from_bot=True, text=params.get("text", ""), reply_markup=_markup(params)
            )
            self.transcript.append(f"[{chat_id}] < {message.text}")
            return self._message_json(message, sender=BOT_USER)

    def _api_editMessageText(self, params: dict[str, str], _: Any) -> dict[str, Any]:
        chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
        with self._changed:
            message = self._find(chat_id, message_id)
            markup = _markup(params)
            if message.text == params.get("text", "") and message.reply_markup == markup:
                raise ApiError(400, "Bad Request: message is not modified")
            message.edits.append(message.text)
            message.text, message.reply_markup = params.get("text", ""), markup
            self.transcript.append(f"[{chat_id}] < (editado) {message.text}")
            return self._message_json(message, sender=BOT_USER)

    def _api_editMessageReplyMarkup(self, params: dict[str, str], _: Any) -> dict[str, Any]:
        with self._changed:
            message = self._find(int(params["chat_id"]), int(params["message_id"]))
            message.reply_markup = _markup(params)
            return self._message_json(message, sender=BOT_USER)

    def _api_deleteMessage(self, params: dict[str, str], _: Any) -> bool:
        with self._changed:
            message = self._find(int(params["chat_id"]), int(params["message_id"]))
            in_group = message.chat_id in self._chat_types
            if in_group and not message.from_bot and not self.bot_can_delete_in_groups:
                raise ApiError(400, "Bad Request: message can't be deleted")
            message.deleted = True
            self.transcript.append(f"[{message.chat_id}] < (borró el mensaje {message.message_id})")
            self._changed.notify_all()
            return True

    def _api_sendChatAction(self, params: dict[str, str], _: Any) -> bool:
        with self._changed:
            self.chat_actions[int(params["chat_id"])] += 1
        return True

    def _api_answerCallbackQuery(self, params: dict[str, str], _: Any) -> bool:
        """Like Telegram: a press is answered once; a second answer, or an id no press had,
        is refused (and counted, so a test can see a handler that answers twice)."""
        with self._changed:
            query_id = params.get("callback_query_id", "")
            if self._callback_answers.get(query_id, "") is not None:
                self.answers_refused += 1
                raise ApiError(400, QUERY_TOO_OLD)
            self._callback_answers[query_id] = params.get("text", "")
            if params.get("text"):
                self.transcript.append(f"< (aviso) {params['text']}")
            self._changed.notify_all()
        return True

    def _api_getChatMember(self, params: dict[str, str], _: Any) -> dict[str, Any]:
        chat_id, user_id = int(params["chat_id"]), int(params["user_id"])
        with self._changed:
            if chat_id not in self._chat_types:
                raise ApiError(400, "Bad Request: chat not found")
            status = self._members.get(chat_id, {}).get(user_id, "left")
            return {
                "status": status,
                "user": self._user(user_id, self._names.get(user_id, "Alumno")),
            }

    def _api_getChat(self, params: dict[str, str], _: Any) -> dict[str, Any]:
        return self._chat_json(int(params["chat_id"]))

    def _api_sendPhoto(
        self, params: dict[str, str], files: dict[str, tuple[bytes, str]]
    ) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        with self._changed:
            content, file_id = self._photo(params.get("photo", ""), files.get("photo"))
            message = self._new_message(
                chat_id,
                from_bot=True,
                caption=params.get("caption", ""),
                reply_markup=_markup(params),
            )
            message.photo, message.photo_id = content, file_id
            self.transcript.append(f"[{chat_id}] < [foto] {message.caption}".rstrip())
            return self._message_json(message, sender=BOT_USER)

    def _api_editMessageMedia(
        self, params: dict[str, str], files: dict[str, tuple[bytes, str]]
    ) -> dict[str, Any]:
        chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
        media = json.loads(params.get("media") or "{}")
        if media.get("type") != "photo":
            raise ApiError(400, "Bad Request: only photos are served by this stand-in")
        reference = str(media.get("media", ""))
        upload = (
            files.get(reference.removeprefix("attach://"))
            if reference.startswith("attach://")
            else None
        )
        with self._changed:
            message = self._find(chat_id, message_id)
            if message.photo_id is None:
                raise ApiError(400, "Bad Request: there is no media in the message to edit")
            content, file_id = self._photo(reference, upload)
            message.edits.append(message.caption)
            message.photo, message.photo_id = content, file_id
            message.caption = str(media.get("caption", ""))
            message.reply_markup = _markup(params)
            self.transcript.append(f"[{chat_id}] < (foto editada) {message.caption}".rstrip())
            return self._message_json(message, sender=BOT_USER)

    def _api_editMessageCaption(self, params: dict[str, str], _: Any) -> dict[str, Any]:
        chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
        with self._changed:
            message = self._find(chat_id, message_id)
            caption, markup = params.get("caption", ""), _markup(params)
            if message.caption == caption and message.reply_markup == markup:
                raise ApiError(400, "Bad Request: message is not modified")
            message.edits.append(message.caption)
            message.caption, message.reply_markup = caption, markup
            self.transcript.append(f"[{chat_id}] < (pie editado) {caption}".rstrip())
            return self._message_json(message, sender=BOT_USER)

    def _photo(self, reference: str, upload: tuple[bytes, str] | None) -> tuple[bytes, str]:
        """An uploaded photo (checked as Telegram would) or one it holds by file_id."""
        if upload is None:
            if reference not in self._files:
                raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
            return self._files[reference][0], reference
        content = upload[0]
        if len(content) > PHOTO_MAX_BYTES:
            raise ApiError(400, "Bad Request: PHOTO_INVALID_DIMENSIONS")
        if _image_size(content) is None:
            raise ApiError(400, "Bad Request: IMAGE_PROCESS_FAILED")
        file_id = "AgAC" + secrets.token_urlsafe(24)
        self._files[file_id] = (content if self.keep_files else b"", upload[1])
        self.uploads += 1
        return content, file_id

    def _api_sendDocument(
        self, params: dict[str, str], files: dict[str, tuple[bytes, str]]
    ) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        with self._changed:
            if "document" in files:
                content, filename = files["document"]
                file_id = "BQAC" + secrets.token_urlsafe(24)
                if not self.keep_files:
                    content = b"%PDF" if content.startswith(b"%PDF") else b""
                self._files[file_id] = (content, filename)
                self.uploads += 1
            else:
                file_id = params.get("document", "")
                if file_id not in self._files:
                    raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
                content, filename = self._files[file_id]
            message = self._new_message(
                chat_id,
                from_bot=True,
                caption=params.get("caption", ""),
                reply_markup=_markup(params),
            )
            message.document, message.file_id = content, file_id
            self.documents_sent[chat_id] += 1
            message.filename = params.get("filename") or filename
            self.transcript.append(
                f"[{chat_id}] < [documento {message.filename}] {message.caption}".rstrip()
            )
            return self._message_json(message, sender=BOT_USER)

    # ---- helpers --------------------------------------------------------------------
    def _new_message(self, chat_id: int, *, from_bot: bool, **fields: Any) -> ChatMessage:
        ids = self._message_ids.setdefault(chat_id, itertools.count(1))
        message = ChatMessage(message_id=next(ids), chat_id=chat_id, from_bot=from_bot, **fields)
        self._chats.setdefault(chat_id, []).append(message)
        self._changed.notify_all()
        return message

    def _find(self, chat_id: int, message_id: int) -> ChatMessage:
        for message in self._chats.get(chat_id, []):
            if message.message_id == message_id and not message.deleted:
                return message
        raise ApiError(400, "Bad Request: message to edit not found")

    def _push(self, update: dict[str, Any]) -> None:
        update["update_id"] = next(self._update_ids)
        if self._webhook is not None:
            self._outbox.put(update)
        else:
            self._updates.append(update)
        self._changed.notify_all()

    def _deliver_webhooks(self) -> None:
        """Post updates in order, like Telegram: retry until some backend answers 200."""
        turn = itertools.count()
        with httpx.Client(timeout=10) as http:
            while not self._stopping:
                update = self._outbox.get()
                if not update:
                    continue
                deadline = time.monotonic() + 60
                while not self._stopping and time.monotonic() < deadline:
                    url, secret = self._webhook or ("", "")
                    targets = self._backends or [url]
                    target = targets[next(turn) % len(targets)]
                    try:
                        answer = http.post(
                            target, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": secret}
                        )
                        if answer.status_code == 200:
                            self.webhook_posts[target] += 1
                            break
                    except httpx.HTTPError:
                        pass
                    time.sleep(0.2)

    @staticmethod
    def _user(user_id: int, first_name: str = "Alumno") -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "es"}

    def _message_json(self, message: ChatMessage, sender: dict[str, Any]) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "message_id": message.message_id,
            "date": int(time.time()),
            "chat": self._chat_json(message.chat_id),
            "from": sender,
        }
        if message.forwarded:
            payload["forward_origin"] = {
                "type": "hidden_user",
                "sender_user_name": "Otra persona",
                "date": int(time.time()) - 60,
            }
        if message.text:
            payload["text"] = message.text
        if message.reply_markup:
            payload["reply_markup"] = message.reply_markup
        if message.file_id:
            payload["document"] = {
                "file_id": message.file_id,
                "file_unique_id": message.file_id[-12:],
                "file_name": message.filename,
                "mime_type": "application/pdf",
                "file_size": len(message.document or b""),
            }
        if message.photo_id:
            width, height = _image_size(message.photo or b"") or (1, 1)
            payload["photo"] = [
                {
                    "file_id": message.photo_id,
                    "file_unique_id": message.photo_id[-12:],
                    "width": width,
                    "height": height,
                    "file_size": len(message.photo or b""),
                }
            ]
        if message.caption and (message.file_id or message.photo_id):
            payload["caption"] = message.caption
        return payload

    def _chat_json(self, chat_id: int) -> dict[str, Any]:
        kind = self._chat_types.get(chat_id, "private")
        if kind == "private":
            return {"id": chat_id, "type": "private", "first_name": "Alumno"}
        return {
            "id": chat_id,
            "type": kind,
            "title": self._chat_titles.get(chat_id, "Grupo de la carrera"),
        }

    @staticmethod
    def _reply(request: BaseHTTPRequestHandler, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode("utf-8")
        try:
            request.send_response(status)
            request.send_header("Content-Type", "application/json")
            request.send_header("Content-Length", str(len(data)))
            request.end_headers()
            request.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass


def _image_size(content: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG or JPEG, or None for anything else."""
    if content.startswith(b"\x89PNG\r\n\x1a\n") and len(content) >= 24:
        return int.from_bytes(content[16:20], "big"), int.from_bytes(content[20:24], "big")
    if content.startswith(b"\xff\xd8"):
        at = 2
        while at + 9 < len(content) and content[at] == 0xFF:
            marker, length = content[at + 1], int.from_bytes(content[at + 2 : at + 4], "big")
            if marker in (0xC0, 0xC1, 0xC2):
                return int.from_bytes(content[at + 7 : at + 9], "big"), int.from_bytes(
                    content[at + 5 : at + 7], "big"
                )
            at += 2 + length
        return (1, 1)
    return None


def _markup(params: dict[str, str]) -> dict[str, Any] | None:
    raw = params.get("reply_markup")
    return json.loads(raw) if raw else None


def _parse_body(
    content_type: str, body: bytes, query: str
) -> tuple[dict[str, str], dict[str, tuple[bytes, str]]]:
    params = {k: v[0] for k, v in parse_qs(query).items()}
    files: dict[str, tuple[bytes, str]] = {}
    if content_type.startswith("multipart/form-data"):
        head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            filename = part.get_filename()
            decoded = part.get_payload(decode=True)
            payload = decoded if isinstance(decoded, bytes) else b""
            if filename is not None:
                files[str(name)] = (payload, filename)
            else:
                params[str(name)] = payload.decode("utf-8")
    elif content_type.startswith("application/json"):
        params.update(
            {
                k: v if isinstance(v, str) else json.dumps(v)
                for k, v in json.loads(body or b"{}").items()
            }
        )
    elif body:
        params.update(
            {k: v[0] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}
        )
    return params, files
