"""The Python member of the polyglot system: the same text protocol as the
Rust plugin (`ask <target> <question>` requests `target`; anything else is a
question to answer). It also reads its configuration and counts the
questions it answered in a key-value bucket.

Build: componentize-py -d ../../../wit -w plugin componentize app -o python.wasm
"""

from componentize_py_types import Err, Ok
from wit_world import exports
from wit_world.imports import atomics, host_services, wasi_config_store, wasi_keyvalue_store
from wit_world.imports.airssys_wasm_types import ComponentError_Failed
from wit_world.imports.host_services import LogLevel


def log(message: str) -> None:
    host_services.log(LogLevel.INFO, message)


class ComponentLifecycle(exports.ComponentLifecycle):
    def handle_message(self, sender: str, message: bytes) -> bytes:
        text = message.decode(errors="replace")
        if text.startswith("ask "):
            target, _, question = text[4:].partition(" ")
            try:
                request_id = host_services.send_request(target, question.encode(), 5000)
            except Err as refused:
                # The host refused at once (no grant, unknown target, full queue).
                raise Err(ComponentError_Failed(f"cannot ask {target}: {refused.value}"))
            log(f"asked {target} {question!r} as {request_id}")
            return f"asked {target}".encode()

        greeting = wasi_config_store.get("greeting") or "hello"
        with wasi_keyvalue_store.open("answers") as bucket:
            count = atomics.increment(bucket, "count", 1)
        return f"python answers {sender}: {greeting}, {text} (answer {count})".encode()

    def handle_callback(self, request_id: str, callback_result) -> None:
        if isinstance(callback_result, Ok):
            report = f"python got: {callback_result.value.decode(errors='replace')}"
        else:
            report = f"python got an error: {callback_result.value}"
        log(f"{request_id}: {report}")
        host_services.send_message("host", report.encode())
