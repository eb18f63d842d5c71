"""The commands the UI calls. Thin: validate (pydantic, via the registry), delegate, return
models. Every public method decorated with @command is a command on both transports."""

from __future__ import annotations

from typing import Callable, Literal

from ollama_trainer import __version__, catalog, paths, settings, wiring
from ollama_trainer.bridge.registry import command
from ollama_trainer.errors import DomainError
from ollama_trainer.contracts import (
    Ack, AppInfo, BrokenEntries, CloseAppRequest, CompareRequest, CompareResult, DatasetIdRequest, DatasetInfo, DatasetPreview, ImportDatasetRequest,
    PreviewRequest, UpdateDatasetRequest, UploadDatasetRequest, JobSlotInfo, LimitRequest, MetricsRequest,
    PickedFile, RenameRunRequest, ResumeTrainingRequest, StartTrainingRequest,
    StartTrainingResult, TrainingIdRequest, TrainingMetrics, TrainingProfile, TrainingRunDetails,
    TrainingRunSummary, TrainingStatus,
)
from ollama_trainer.contracts import (
    AskRequest, ChatAnswer, ChatRequest, ExportRequest, ExportState, FeedbackRequest, FeedbackSaved, OllamaConnection,
    OllamaHostRequest, Settings,
)
from ollama_trainer.contracts import (
    ChatSendRequest, ChatStream, ChatStreamRequest, FeedbackDeleteRequest, FeedbackList, TrainOnFeedbackRequest,
)
from ollama_trainer.contracts import (
    BaseModelList, PickBaseRequest, ProfileIdRequest, RunPreview, RunPreviewRequest, SaveProfileRequest,
)
from ollama_trainer.contracts import FlowInfo, FlowRun, FlowRunIdRequest, RunFlowRequest, RunFlowResult
from ollama_trainer.contracts import (
    DocumentsFolderRequest, DocumentsJobIdRequest, DocumentsJobState, DocumentsPreview, TeacherModelList,
)
from ollama_trainer.training import device_probe, history
from ollama_trainer.training.chat_streams import ChatStreams

Transport = Literal["desktop", "browser", "cli"]


class Commands:
    def __init__(self, transport: Transport = "cli", parts: wiring.AppParts | None = None,
                 file_picker: Callable[[], str | None] | None = None,
                 on_close: Callable[[bool], None] | None = None):
        self._transport = transport
        parts = parts or wiring.build("window" if transport == "desktop" else transport)
        self._manager = parts.manager
        self._flows = parts.flows
        self._inference = parts.inference  # warm models for Try it (the app releases them on close)
        self._chats = ChatStreams(parts.inference)  # the Chat page's answers, streamed
        self._file_picker = file_picker  # the desktop window's native dialog
        self._on_close = on_close  # the desktop window's close, after the user chose

    @command(result=AppInfo)
    def app_info(self) -> AppInfo:
        """At once: the device once the background probe has answered, else None (asked again)."""
        device = device_probe.known() or {}
        return AppInfo(version=__version__, data_dir=str(paths.data_dir()), config_dir=str(paths.config_dir()),
                       device=device.get("device"), device_name=device.get("device_name"), transport=self._transport)

    # -- catalog ----------------------------------------------------------------------------
    @command(result=list[TrainingProfile])
    def list_training_profiles(self) -> list[TrainingProfile]:
        return catalog.list_profiles()

    @command(result=list[DatasetInfo])
    def list_datasets(self) -> list[DatasetInfo]:
        return catalog.list_datasets()

    @command(result=BrokenEntries)
    def list_broken_entries(self) -> BrokenEntries:
        return catalog.broken_entries()

    @command(ImportDatasetRequest, result=DatasetInfo)
    def import_dataset(self, req: ImportDatasetRequest) -> DatasetInfo:
        return catalog.import_dataset(req.path, dataset_id=req.id, name=req.name, description=req.description,
                                      replace=req.replace)

    @command(UploadDatasetRequest, result=DatasetInfo)
    def upload_dataset(self, req: UploadDatasetRequest) -> DatasetInfo:
        return catalog.upload_dataset(req.filename, req.content, dataset_id=req.id, name=req.name,
                                      description=req.description, replace=req.replace)

    @command(UpdateDatasetRequest, result=DatasetInfo)
    def update_dataset(self, req: UpdateDatasetRequest) -> DatasetInfo:
        return catalog.update_dataset(req.id, name=req.name, description=req.description)

    @command(DatasetIdRequest, result=Ack)
    def delete_dataset(self, req: DatasetIdRequest) -> Ack:
        catalog.delete_dataset(req.id)
        return Ack()

    @command(PreviewRequest, result=DatasetPreview)
    def preview_dataset(self, req: PreviewRequest) -> DatasetPreview:
        return catalog.preview_dataset(req.id, req.limit)

    @command(result=PickedFile)
    def pick_dataset_file(self) -> PickedFile:
        return PickedFile(path=self._pick())

    def _pick(self, *kind: str) -> str | None:
        if self._file_picker is None:
            raise DomainError("the file dialog is only in the desktop window; type the path instead",
                              code="not_available")
        return self._file_picker(*kind)

    # -- base models and profiles -----------------------------------------------------------
    @command(result=BaseModelList)
    def list_base_models(self) -> BaseModelList:
        from ollama_trainer.bases import catalog as base_catalog

        return base_catalog.list_bases()

    @command(PickBaseRequest, result=PickedFile)
    def pick_base_model(self, req: PickBaseRequest) -> PickedFile:
        return PickedFile(path=self._pick("folder" if req.folder else "gguf"))

    @command(SaveProfileRequest, result=TrainingProfile)
    def save_training_profile(self, req: SaveProfileRequest) -> TrainingProfile:
        from ollama_trainer import user_profiles

        return user_profiles.save(req.profile, replace=req.replace)

    @command(ProfileIdRequest, result=Ack)
    def delete_training_profile(self, req: ProfileIdRequest) -> Ack:
        from ollama_trainer import user_profiles

        user_profiles.delete(req.profile_id)
        return Ack()

    @command(RunPreviewRequest, result=RunPreview)
    def preview_training_run(self, req: RunPreviewRequest) -> RunPreview:
        from ollama_trainer.training import run_preview

        return run_preview.preview(catalog.get_profile(req.profile_id), catalog.get_dataset_entry(req.dataset_id),
                                   epochs=req.epochs, overrides=req.overrides, base=req.base)

    # -- training ---------------------------------------------------------------------------
    @command(StartTrainingRequest, result=StartTrainingResult)
    def start_training_job(self, req: StartTrainingRequest) -> StartTrainingResult:
        training_id = self._manager.start(
            catalog.get_profile(req.profile_id), catalog.get_dataset_entry(req.dataset_id),
            epochs=req.epochs, overrides=req.overrides, resume_from=req.resume_from, queue=req.queue, base=req.base,
            from_run=req.from_run,
        )
        return StartTrainingResult(training_id=training_id)

    @command(ResumeTrainingRequest, result=StartTrainingResult)
    def resume_training_job(self, req: ResumeTrainingRequest) -> StartTrainingResult:
        """Continue a cancelled, interrupted or failed run from its checkpoint, with its own
        settings (and more epochs, when asked)."""
        return StartTrainingResult(training_id=self._manager.resume(req.training_id, epochs=req.epochs,
                                                                     queue=req.queue))

    @command(RenameRunRequest, result=TrainingRunSummary)
    def rename_training_run(self, req: RenameRunRequest) -> TrainingRunSummary:
        return self._manager.rename(req.training_id, req.name)

    @command(result=JobSlotInfo)
    def get_job_slot(self) -> JobSlotInfo:
        return self._manager.slot()

    @command(CloseAppRequest, result=Ack)
    def close_app(self, req: CloseAppRequest) -> Ack:
        """The window's answer to "a job is running: keep it running or stop it?"."""
        if self._on_close is None:
            raise DomainError("closing is only asked in the desktop window", code="not_available")
        self._on_close(req.keep_running)
        return Ack()

    @command(TrainingIdRequest, result=TrainingStatus)
    def get_training_status(self, req: TrainingIdRequest) -> TrainingStatus:
        return self._manager.status(req.training_id)

    @command(result=TrainingStatus | None)
    def get_active_training(self) -> TrainingStatus | None:
        """The job this app runs or waits for, else one another process runs here."""
        active = self._manager.active_id() or self._manager.attach_running()
        return self._manager.status(active) if active else None

    @command(MetricsRequest, result=TrainingMetrics)
    def get_training_metrics(self, req: MetricsRequest) -> TrainingMetrics:
        return self._manager.metrics(req.training_id, req.since_step)

    @command(TrainingIdRequest, result=TrainingStatus)
    def cancel_training_job(self, req: TrainingIdRequest) -> TrainingStatus:
        return self._manager.cancel(req.training_id)

    @command(LimitRequest, result=list[TrainingRunSummary])
    def get_training_history(self, req: LimitRequest) -> list[TrainingRunSummary]:
        return history.recent(req.limit)

    @command(CompareRequest, result=CompareResult)
    def compare_runs(self, req: CompareRequest) -> CompareResult:
        from ollama_trainer.training.compare import compare

        return compare(req.training_ids)

    @command(TrainingIdRequest, result=TrainingRunDetails)
    def get_training_run(self, req: TrainingIdRequest) -> TrainingRunDetails:
        from ollama_trainer.training.details import run_details

        return run_details(self._manager, req.training_id)

    # -- flows ------------------------------------------------------------------------------
    @command(result=list[FlowInfo])
    def list_flows(self) -> list[FlowInfo]:
        return self._flows.list_flows()

    @command(RunFlowRequest, result=RunFlowResult)
    def run_flow(self, req: RunFlowRequest) -> RunFlowResult:
        return RunFlowResult(flow_run_id=self._flows.run_flow(req.flow_id, req.inputs))

    @command(LimitRequest, result=list[FlowRun])
    def get_flow_runs(self, req: LimitRequest) -> list[FlowRun]:
        return self._flows.recent(req.limit)

    @command(FlowRunIdRequest, result=FlowRun)
    def get_flow_run(self, req: FlowRunIdRequest) -> FlowRun:
        return self._flows.get(req.flow_run_id)

    @command(FlowRunIdRequest, result=FlowRun)
    def cancel_flow_run(self, req: FlowRunIdRequest) -> FlowRun:
        return self._flows.cancel(req.flow_run_id)

    # -- documents (a folder made into a dataset; documents/jobs.py) --------------------------
    @property
    def _documents(self):
        if self.__dict__.get("_documents_jobs") is None:
            from ollama_trainer.documents.jobs import DocumentsJobs

            self._documents_jobs = DocumentsJobs(settings.ollama_host)
        return self._documents_jobs

    @command(OllamaHostRequest, result=TeacherModelList)
    def list_teacher_models(self, req: OllamaHostRequest) -> TeacherModelList:
        from ollama_trainer.documents.jobs import teacher_models

        return teacher_models(settings.ollama_host(req.host))

    @command(result=PickedFile)
    def pick_documents_folder(self) -> PickedFile:
        return PickedFile(path=self._pick("folder"))

    @command(DocumentsFolderRequest, result=DocumentsPreview)
    def preview_documents(self, req: DocumentsFolderRequest) -> DocumentsPreview:
        return self._documents.preview(req)

    @command(DocumentsFolderRequest, result=DocumentsJobState)
    def start_documents_job(self, req: DocumentsFolderRequest) -> DocumentsJobState:
        return self._documents.start(req)

    @command(DocumentsJobIdRequest, result=DocumentsJobState)
    def get_documents_job(self, req: DocumentsJobIdRequest) -> DocumentsJobState:
        return self._documents.state(req.job_id)

    @command(DocumentsJobIdRequest, result=DocumentsJobState)
    def cancel_documents_job(self, req: DocumentsJobIdRequest) -> DocumentsJobState:
        return self._documents.cancel(req.job_id)

    # -- Ollama -----------------------------------------------------------------------------
    @command(ExportRequest, result=ExportState)
    def export_to_ollama(self, req: ExportRequest) -> ExportState:
        from ollama_trainer.ollama import export

        return export.start_export(req.training_id, model_name=req.model_name, host=settings.ollama_host(req.host),
                                   quantize=req.quantize)

    @command(TrainingIdRequest, result=ExportState)
    def get_export_state(self, req: TrainingIdRequest) -> ExportState:
        from ollama_trainer.ollama import export

        return export.export_state(req.training_id)

    @command(OllamaHostRequest, result=OllamaConnection)
    def get_ollama_connection(self, req: OllamaHostRequest) -> OllamaConnection:
        from ollama_trainer.ollama import client

        return client.connection_state(settings.ollama_host(req.host))

    @command(ChatRequest, result=ChatAnswer)
    def ask_ollama(self, req: ChatRequest) -> ChatAnswer:
        from ollama_trainer.ollama import chat

        answer, cut = chat.ask_ollama(req.model, req.prompt, host=settings.ollama_host(req.host), system=req.system)
        return ChatAnswer(model=req.model, answer=answer, cut=cut)

    @command(AskRequest, result=ChatAnswer)
    def ask_local_model(self, req: AskRequest) -> ChatAnswer:
        """The run's model (or its base) answering through a warm worker, for when it is not in
        Ollama: the first question loads the model, the next ones only answer."""
        answer, cut = self._inference.ask(run=req.training_id, base=None, prompt=req.prompt,
                                          with_adapter=req.with_adapter)
        return ChatAnswer(model=("trained " if req.with_adapter else "base of ") + req.training_id, answer=answer,
                          cut=cut)

    @command(ChatSendRequest, result=ChatStream)
    def chat_send(self, req: ChatSendRequest) -> ChatStream:
        """Start an answer of the Chat page (read it growing with chat_read)."""
        if not req.training_id and not req.profile_id:
            raise DomainError("say whose model answers: a training_id or a profile_id", code="invalid_argument")
        stream_id = self._chats.start(run=req.training_id, base=None if req.training_id else req.profile_id,
                                      history=[t.model_dump() for t in req.history], prompt=req.prompt,
                                      with_adapter=req.with_adapter, another=req.another, seed=req.seed)
        return self._chats.read(stream_id)

    @command(ChatStreamRequest, result=ChatStream)
    def chat_read(self, req: ChatStreamRequest) -> ChatStream:
        return self._chats.read(req.stream_id)

    @command(FeedbackRequest, result=FeedbackSaved)
    def add_feedback(self, req: FeedbackRequest) -> FeedbackSaved:
        """Keep an answer (as it is, as corrected, or chosen over another) in the run's feedback dataset."""
        from ollama_trainer.training import feedback

        talk = [*(t.model_dump() for t in req.history), {"role": "user", "content": req.prompt}]
        entry = feedback.add(req.training_id, req.kind, talk, req.answer, original=req.original, rejected=req.rejected)
        return FeedbackSaved(dataset_id=entry.id, marks=len(feedback.read(req.training_id)))

    @command(TrainingIdRequest, result=FeedbackList)
    def list_feedback(self, req: TrainingIdRequest) -> FeedbackList:
        from ollama_trainer.training import feedback

        return feedback.listed(req.training_id)

    @command(FeedbackDeleteRequest, result=FeedbackList)
    def delete_feedback(self, req: FeedbackDeleteRequest) -> FeedbackList:
        from ollama_trainer.training import feedback

        return feedback.delete(req.training_id, req.index)

    @command(TrainOnFeedbackRequest, result=StartTrainingResult)
    def train_on_feedback(self, req: TrainOnFeedbackRequest) -> StartTrainingResult:
        """A new run from the run's trained model on its feedback dataset, linked to it."""
        from ollama_trainer.training import feedback, further

        dataset = catalog.get_dataset_entry(feedback.dataset_id(req.training_id))
        return StartTrainingResult(training_id=further.train(self._manager, req.training_id, dataset,
                                                             epochs=req.epochs, queue=req.queue))

    # -- settings ---------------------------------------------------------------------------
    @command(result=Settings)
    def get_settings(self) -> Settings:
        return settings.load()

    @command(Settings, result=Settings)
    def update_settings(self, req: Settings) -> Settings:
        if req.ollama_host:
            from ollama_trainer.ollama import client

            try:
                client.resolve_host(req.ollama_host)
            except ValueError as exc:
                raise DomainError(str(exc), code="invalid_host") from None
        return settings.update(req)

