"""{{project-name}}: an airssys-wasm plugin in Python.

Every message is a question and the return value is the answer, except
`ask <target> <question>`, which requests `target`; its answer arrives in
`handle_callback`, which logs it and tells the host.
"""

from componentize_py_types import Err, Ok
from wit_world import exports
from wit_world.imports import host_services, wasi_config_store
from wit_world.imports.airssys_wasm_types import ComponentError_Failed, ComponentError_InvalidInput
from wit_world.imports.host_services import LogLevel


class ComponentLifecycle(exports.ComponentLifecycle):
    def handle_message(self, sender: str, message: bytes) -> bytes:
        text = message.decode(errors="replace").strip()
        if not text:
            raise Err(ComponentError_InvalidInput("an empty question"))
        if text.startswith("ask "):
            target, _, question = text[4:].partition(" ")
            try:
                request_id = host_services.send_request(target, question.encode(), 5000)
            except Err as refused:
                raise Err(ComponentError_Failed(f"cannot ask {target}: {refused.value}"))
            host_services.log(LogLevel.INFO, f"asked {target} as {request_id}")
            return f"asked {target}".encode()
        greeting = wasi_config_store.get("greeting") or "Hello"
        host_services.log(LogLevel.INFO, f"answering {sender}")
        return f"{greeting}, {text}!".encode()

    def handle_callback(self, request_id: str, callback_result) -> None:
        if isinstance(callback_result, Ok):
            report = f"answer: {callback_result.value.decode(errors='replace')}"
        else:
            report = f"no answer: {callback_result.value}"
        host_services.log(LogLevel.INFO, f"{request_id}: {report}")
        host_services.send_message("host", report.encode())
