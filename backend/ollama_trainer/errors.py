"""The error vocabulary every command speaks, defined once.

A DomainError carries a stable `code` the UI and CLI can branch on and a message a person can
act on. Each code is registered here with its HTTP status (browser mode), its exit code (the
command line) and what it means; the codes go into the generated contracts, and the client
words each one in the user's language. Transports turn an error into `{code, message}`;
nothing else leaks out. A code that is not registered is a bug (a test reads every code the
backend raises).
"""

from __future__ import annotations

from dataclasses import dataclass

EXIT_OK, EXIT_FAILED, EXIT_INVALID, EXIT_CANCELLED = 0, 1, 2, 130


@dataclass(frozen=True)
class ErrorCode:
    name: str
    http_status: int
    exit_code: int
    meaning: str  # one line, for the contracts and as the fallback words


def _codes(*rows: tuple[str, int, int, str]) -> dict[str, ErrorCode]:
    return {name: ErrorCode(name, status, exit_code, meaning) for name, status, exit_code, meaning in rows}


_BAD, _MISSING, _BUSY, _UPSTREAM, _BROKEN = 400, 404, 409, 502, 500
CODES: dict[str, ErrorCode] = _codes(
    # what the user asked for is not valid: fix the request
    ("invalid_argument", _BAD, EXIT_INVALID, "An argument is not valid"),
    ("invalid_input", _BAD, EXIT_INVALID, "A flow input is not valid"),
    ("invalid_epochs", _BAD, EXIT_INVALID, "The number of epochs is out of range"),
    ("invalid_dataset", _BAD, EXIT_INVALID, "The dataset has errors"),
    ("invalid_catalog", _BAD, EXIT_INVALID, "A profiles or datasets file is broken"),
    ("data_folder_unwritable", _BROKEN, EXIT_FAILED, "The data folder cannot be written (read-only or full)"),
    ("invalid_profile", _BAD, EXIT_INVALID, "The training profile is not valid"),
    ("invalid_flow", _BAD, EXIT_INVALID, "The flow file is not valid"),
    ("invalid_host", _BAD, EXIT_INVALID, "The Ollama address is not valid"),
    ("invalid_model_name", _BAD, EXIT_INVALID, "The Ollama model name is not valid"),
    ("invalid_output_dir", _BAD, EXIT_INVALID, "The output folder cannot be used"),
    ("invalid_ollama_name", _BAD, EXIT_INVALID, "The Ollama model name cannot be read"),
    ("not_available", _BAD, EXIT_INVALID, "This is not available here"),
    ("no_teacher", _BAD, EXIT_INVALID, "No teacher model was chosen"),
    ("no_documents", _BAD, EXIT_INVALID, "The folder holds no documents to read"),
    # something named does not exist
    ("not_found", _MISSING, EXIT_INVALID, "Not found"),
    ("unknown_command", _MISSING, EXIT_INVALID, "Unknown command"),
    ("unknown_training", _MISSING, EXIT_INVALID, "No such training run"),
    ("unknown_profile", _MISSING, EXIT_INVALID, "No such training profile"),
    ("unknown_dataset", _MISSING, EXIT_INVALID, "No such dataset"),
    ("unknown_flow", _MISSING, EXIT_INVALID, "No such flow"),
    ("unknown_flow_run", _MISSING, EXIT_INVALID, "No such flow run"),
    ("unknown_ollama_model", _MISSING, EXIT_INVALID, "Ollama has no such model"),
    ("unknown_teacher", _MISSING, EXIT_INVALID, "Ollama has no such teacher model"),
    ("file_not_found", _MISSING, EXIT_INVALID, "No such file"),
    ("documents_not_found", _MISSING, EXIT_INVALID, "No such documents folder"),
    ("base_model_not_found", _MISSING, EXIT_INVALID, "The base model cannot be found"),
    ("ollama_store_missing", _MISSING, EXIT_INVALID, "No Ollama model store on this machine"),
    ("no_checkpoint", _MISSING, EXIT_INVALID, "The run has no checkpoint to resume from"),
    # the state of things does not allow it now
    ("no_adapter", _BUSY, EXIT_INVALID, "The run has no trained adapter"),
    ("not_exportable", _BUSY, EXIT_FAILED, "This run cannot be exported"),
    ("nothing_to_resume", _BUSY, EXIT_INVALID, "The run has nothing left to train"),
    ("dataset_exists", _BUSY, EXIT_INVALID, "A dataset with this id exists"),
    ("profile_exists", _BUSY, EXIT_INVALID, "A profile with this id exists"),
    ("conflict", _BUSY, EXIT_FAILED, "It conflicts with something running"),
    ("job_running", _BUSY, EXIT_FAILED, "A training job is running"),
    ("export_running", _BUSY, EXIT_FAILED, "This run is being exported"),
    ("documents_job_running", _BUSY, EXIT_FAILED, "Documents are being read into this folder"),
    ("cancelled", _BUSY, EXIT_CANCELLED, "Cancelled"),
    # Ollama (or the teacher in it) failed
    ("ollama_unreachable", 503, EXIT_FAILED, "Ollama is not reachable"),
    ("ollama_too_old", _UPSTREAM, EXIT_FAILED, "Ollama is too old"),
    ("ollama_create_failed", _UPSTREAM, EXIT_FAILED, "Ollama could not create the model"),
    ("ollama_upload_failed", _UPSTREAM, EXIT_FAILED, "Ollama did not take the model file"),
    ("ollama_chat_failed", _UPSTREAM, EXIT_FAILED, "Ollama could not answer"),
    ("teacher_failing", _UPSTREAM, EXIT_FAILED, "The teacher model keeps failing"),
    ("ollama_client_missing", _BROKEN, EXIT_FAILED, "The Ollama client library is missing"),
    ("ollama_store_error", _BROKEN, EXIT_FAILED, "The Ollama model store cannot be read"),
    ("invalid_ollama_manifest", _BROKEN, EXIT_FAILED, "An Ollama manifest is broken"),
    ("unreadable_blob", _BROKEN, EXIT_FAILED, "An Ollama model file cannot be read"),
    # the work itself failed
    ("step_failed", _BAD, EXIT_FAILED, "A flow step failed"),
    ("model_file_failed", _BROKEN, EXIT_FAILED, "The trained model file could not be written"),
    ("ask_failed", _BROKEN, EXIT_FAILED, "The model did not answer"),
    ("export_interrupted", _BROKEN, EXIT_FAILED, "The export was interrupted"),
    ("internal_error", _BROKEN, EXIT_FAILED, "Something went wrong inside the app"),
)


def lookup(code: str) -> ErrorCode:
    return CODES.get(code) or CODES["internal_error"]


class DomainError(Exception):
    code = "internal_error"

    def __init__(self, message: str, *, code: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.hint = hint  # one more line for a person (the CLI prints it under the message)

    @property
    def http_status(self) -> int:
        return lookup(self.code).http_status

    @property
    def exit_code(self) -> int:
        return lookup(self.code).exit_code

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message}


class NotFound(DomainError):
    code = "not_found"


class InvalidArgument(DomainError):
    code = "invalid_argument"


class Conflict(DomainError):
    code = "conflict"
