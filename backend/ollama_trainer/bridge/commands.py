"""The commands the UI calls. Thin: validate (pydantic, via the registry), delegate, return
models. Every public method decorated with @command is a command on both transports."""

from __future__ import annotations

from typing import Literal

from ollama_trainer import __version__, catalog, device_probe, paths
from ollama_trainer.bridge.registry import command
from ollama_trainer.contracts import AppInfo, DatasetInfo, TrainingProfile

Transport = Literal["desktop", "browser", "cli"]


class Commands:
    def __init__(self, transport: Transport = "cli"):
        self._transport = transport

    @command(result=AppInfo)
    def app_info(self) -> AppInfo:
        device = device_probe.probe()
        return AppInfo(
            version=__version__,
            data_dir=str(paths.data_dir()),
            config_dir=str(paths.config_dir()),
            device=device["device"],
            device_name=device["device_name"],
            transport=self._transport,
        )

    @command(result=list[TrainingProfile])
    def list_training_profiles(self) -> list[TrainingProfile]:
        return catalog.list_profiles()

    @command(result=list[DatasetInfo])
    def list_datasets(self) -> list[DatasetInfo]:
        return catalog.list_datasets()
