/* eslint-disable */
// Generated from backend/ollama_trainer/contracts.py, do not edit.
// Regenerate with: npm run gen:contracts

/**
 * A command that only needs to say it was done.
 */
export interface Ack {
  ok: boolean;
}

export interface AppInfo {
  config_dir: string;
  data_dir: string;
  /**
   * Where training would run; None while the app still asks (the worker imports PyTorch: 10-20 s on a busy machine)
   */
  device: ('cpu' | 'cuda' | 'mps') | null;
  /**
   * CPU model or GPU name; None while the device is asked
   */
  device_name: string | null;
  transport: 'desktop' | 'browser' | 'cli';
  version: string;
}

export interface AskRequest {
  prompt: string;
  training_id: string;
  /**
   * False: the base model the run was trained on
   */
  with_adapter?: boolean;
}

export interface BaseModelInfo {
  architecture: string | null;
  /**
   * The chat format training renders in (chat_formats)
   */
  chat_format: string | null;
  family: string | null;
  kind: 'builtin' | 'ollama' | 'gguf' | 'folder' | 'hub';
  /**
   * About the memory training it needs here, weights in bf16
   */
  memory_gb: number | null;
  /**
   * About the GPU memory training it needs with 4-bit (NF4) weights, on a GPU with bitsandbytes
   */
  memory_gb_4bit: number | null;
  name: string;
  /**
   * As Ollama words it: 135M, 268.10M, 3.2B
   */
  parameter_size: string | null;
  /**
   * The weights' file or folder
   */
  path: string | null;
  /**
   * The weights' file type: Q4_K_M, F16 ...
   */
  quantization: string | null;
  /**
   * Why not, when it cannot
   */
  reason: string | null;
  /**
   * What a profile's base_model (or --base) names: builtin, ollama:NAME[:TAG], a path
   */
  source: string;
  /**
   * Can be trained and exported on this machine
   */
  trainable: boolean;
}

export interface BaseModelList {
  bases: BaseModelInfo[];
  /**
   * Why the store's models are missing, when they are
   */
  note: string | null;
  /**
   * The Ollama model store read, when there is one
   */
  store: string | null;
}

export interface BrokenEntries {
  datasets: BrokenEntry[];
  profiles: BrokenEntry[];
}

/**
 * A user's profile or dataset entry that cannot be read: listed with its error so it can be
 * fixed, never offered for a run; everything else goes on working.
 */
export interface BrokenEntry {
  /**
   * 'file: profiles[2].learning_rate: ...': what is wrong, and where
   */
  error: string;
  /**
   * The file it is in (profiles.json, datasets/index.json)
   */
  file: string;
  /**
   * Its id, when that much can be read
   */
  id: string | null;
  kind: 'profile' | 'dataset';
  name: string | null;
}

export interface ChatAnswer {
  answer: string;
  /**
   * The answer stopped at its length limit, before the model ended it
   */
  cut: boolean;
  model: string;
}

export interface ChatRequest {
  host?: string | null;
  model: string;
  prompt: string;
  system?: string | null;
}

/**
 * One turn of the Chat page: the talk so far and the new question, to a run's trained
 * model (or the base it was trained on) or to a profile's base model.
 */
export interface ChatSendRequest {
  /**
   * A sampled answer (Another answer) instead of the greedy one
   */
  another?: boolean;
  /**
   * The talk before `prompt`
   *
   * @maxItems 200
   */
  history?: ChatTurn[];
  /**
   * Without a run: this profile's base model answers
   */
  profile_id?: string | null;
  prompt: string;
  /**
   * For `another`: the sampling seed (default: the clock)
   */
  seed?: number | null;
  /**
   * The run whose model answers
   */
  training_id?: string | null;
  /**
   * False: the base model the run was trained on
   */
  with_adapter?: boolean;
}

export interface ChatTurn {
  content: string;
  role: 'user' | 'assistant';
}

/**
 * An answer being written: the text so far; `done` once it is whole (or failed).
 */
export interface ChatStream {
  /**
   * The answer stopped at its length limit, before the model ended it
   */
  cut: boolean;
  done: boolean;
  error: string | null;
  seconds: number | null;
  stream_id: string;
  text: string;
}

export interface ChatStreamRequest {
  stream_id: string;
}

export interface CloseAppRequest {
  /**
   * True: the running job goes on without the app; False: it stops and saves
   */
  keep_running: boolean;
}

export interface CompareRequest {
  /**
   * @minItems 2
   * @maxItems 8
   */
  training_ids:
    | [string, string]
    | [string, string, string]
    | [string, string, string, string]
    | [string, string, string, string, string]
    | [string, string, string, string, string, string]
    | [string, string, string, string, string, string, string]
    | [string, string, string, string, string, string, string, string];
}

export interface CompareResult {
  /**
   * The settings whose values are not the same in every run
   */
  differing: string[];
  runs: ComparedRun[];
  /**
   * Every setting any of the runs has, sorted
   */
  settings: string[];
}

export interface ComparedRun {
  metrics: MetricPoint[];
  samples: SampleAnswer[];
  scores: RunScores | null;
  /**
   * The profile's settings, dotted keys
   */
  settings: {
    [k: string]: string | number | boolean | null;
  };
  summary: TrainingRunSummary | null;
  training_id: string;
}

export interface MetricPoint {
  epoch: number;
  eval_loss: number | null;
  loss: number | null;
  lr: number | null;
  step: number;
  /**
   * Tokens trained on so far (the x axis 'by tokens')
   */
  tokens: number | null;
  tokens_per_s: number | null;
}

export interface SampleAnswer {
  after: string;
  /**
   * The trained model's greedy answer, as token ids
   */
  after_tokens: number[];
  before: string;
  /**
   * The dataset's answer, when the prompt came from its eval split
   */
  expected: string | null;
  prompt: string;
  /**
   * The prompt as the chat template rendered it
   */
  prompt_text: string | null;
  /**
   * The dataset's held-out prompts, its eval split, or (a set too small to split) its training data
   */
  source: 'dataset' | 'eval_split' | 'training';
}

/**
 * runs/<id>/scores.json: did training teach the dataset, and did the model keep what it knew?
 */
export interface RunScores {
  /**
   * Of the probe prompts the base answered right, the share the trained model still answers right
   */
  kept: number | null;
  /**
   * How many probe prompts the base answered right (what kept counts); the others are reported apart
   */
  kept_of: number | null;
  kept_rows: KeptRow[];
  /**
   * Share of scorable held-out prompts answered as taught
   */
  learned: number | null;
  learned_rows: LearnedRow[];
  /**
   * Words that mark the taught material
   */
  markers: string[];
  /**
   * Preference runs: the held-out answer pairs (the eval split)
   */
  pairs: number;
  /**
   * ... the share whose chosen answer the trained model prefers
   */
  pairs_after: number | null;
  /**
   * Of the held-out pairs, the share whose chosen answer the base prefers (a higher mean token log-prob)
   */
  pairs_before: number | null;
  /**
   * Base answers mixed into the training data
   */
  replay_examples: number;
}

export interface KeptRow {
  after: string;
  /**
   * The right fact (or, without one, the same first words or mostly the same content as before)
   */
  agrees: boolean;
  /**
   * The base answered it right (its fact, or something for a prompt without one)
   */
  base_right: boolean;
  before: string;
  /**
   * Still answered right; None when the base itself did not answer it right (then it shows nothing about keeping)
   */
  kept: boolean | null;
  /**
   * Taught words that do not belong here
   */
  leaked: string[];
  prompt: string;
}

export interface LearnedRow {
  answer: string;
  /**
   * The check's value, or the dataset's own answer
   */
  expected: string | null;
  /**
   * The check's kind (documents datasets): what this row measures
   */
  kind: ('trained_document' | 'held_out_document') | null;
  /**
   * None: nothing says what to expect
   */
  learned: boolean | null;
  prompt: string;
}

export interface TrainingRunSummary {
  adapter_dir: string | null;
  /**
   * Identifies the base's weights (a digest)
   */
  base_key: string | null;
  /**
   * The base it trained: builtin, ollama:NAME, a file or folder
   */
  base_model: string | null;
  /**
   * The step whose adapter is the result (lowest eval loss)
   */
  best_step: number | null;
  dataset_id: string;
  duration_s: number | null;
  epochs: number;
  error: string | null;
  /**
   * What the run was expected to take, before its first step
   */
  estimate: RunEstimate | null;
  eval_loss: number | null;
  final_loss: number | null;
  finished_at: string;
  flow_run_id: string | null;
  /**
   * The finished run whose trained model this one trained further
   */
  from_run: string | null;
  /**
   * The kept score (scores.json)
   */
  kept: number | null;
  /**
   * The learned score (scores.json)
   */
  learned: number | null;
  /**
   * How it ended, in words: 'cancelled; checkpoint saved at step 4'
   */
  message: string;
  /**
   * The name the user gave the run
   */
  name: string;
  ollama_model: string | null;
  /**
   * The trainer's peak resident memory, measured
   */
  peak_memory_gb: number | null;
  /**
   * How the run held its weights and computed (as it ran)
   */
  precision: RunPrecision | null;
  profile_id: string;
  /**
   * The run this one continues
   */
  resumed_from: string | null;
  started_at: string;
  status:
    | 'idle'
    | 'queued'
    | 'preparing'
    | 'running'
    | 'exporting'
    | 'done'
    | 'error'
    | 'cancelled'
    | 'interrupted';
  stopped_early: boolean;
  /**
   * The training speed, measured over the whole run
   */
  tokens_per_s: number | null;
  training_id: string;
}

/**
 * Before a run: how long and how much memory, from the base's size, the tokens and the
 * device (docs/PERFORMANCE.md has the measured figures it is fitted to).
 */
export interface RunEstimate {
  /**
   * history: the median speed of earlier runs on this base here
   */
  basis: 'formula' | 'history';
  device: string;
  duration_s: number;
  /**
   * False: the estimate is more than the memory there is, even so
   */
  fits: boolean;
  /**
   * Chosen for this run (the profile's setting, or auto)
   */
  gradient_checkpointing: boolean;
  memory_gb: number;
  /**
   * Tokens to train on, all epochs (padding excluded)
   */
  tokens: number;
  /**
   * The training speed assumed
   */
  tokens_per_s: number;
  /**
   * How the frozen base weights are held in this run
   */
  weights: 'bf16' | 'nf4';
  /**
   * Why checkpointing or 4-bit weights were chosen, or what would make it fit
   */
  why: string;
}

/**
 * The precision a run actually used (the worker's, after its device and memory plan).
 */
export interface RunPrecision {
  /**
   * The training step's matmuls: bfloat16 (autocast) or float32
   */
  compute: string;
  gradient_checkpointing: boolean;
  /**
   * The frozen base weights: bfloat16, float16, nf4 or float32
   */
  weights: string;
}

export interface DatasetEntry {
  description: string;
  /**
   * Detected from the first record when absent
   */
  format: ('chat' | 'alpaca' | 'prompt_completion' | 'text' | 'preference') | null;
  /**
   * What the answers to held-out prompts must hold (the learned score)
   */
  held_out_checks: HeldOutCheck[];
  /**
   * Prompts kept out of training, answered before and after
   */
  held_out_prompts: string[];
  id: string;
  name: string;
  /**
   * A .jsonl file, relative to the catalog file or absolute
   */
  path: string;
  source: 'builtin' | 'user';
}

/**
 * What a held-out prompt's answer must hold to count as learned.
 */
export interface HeldOutCheck {
  /**
   * For a dataset made from documents: a question held out of a document the model trains on (it measures learning), or from a document held out whole (it measures what the model makes of facts it never saw)
   */
  kind: ('trained_document' | 'held_out_document') | null;
  mode: 'contains' | 'exact' | 'regex';
  prompt: string;
  value: string;
}

export interface DatasetIdRequest {
  id: string;
}

export interface DatasetInfo {
  description: string;
  detected_format: ('chat' | 'alpaca' | 'prompt_completion' | 'text' | 'preference') | null;
  errors: DatasetIssue[];
  examples: number;
  first_error: string | null;
  /**
   * Detected from the first record when absent
   */
  format: ('chat' | 'alpaca' | 'prompt_completion' | 'text' | 'preference') | null;
  /**
   * What the answers to held-out prompts must hold (the learned score)
   */
  held_out_checks: HeldOutCheck[];
  /**
   * Prompts kept out of training, answered before and after
   */
  held_out_prompts: string[];
  id: string;
  name: string;
  /**
   * A .jsonl file, relative to the catalog file or absolute
   */
  path: string;
  source: 'builtin' | 'user';
  /**
   * Tokens after the chat template, when counted
   */
  tokens: number | null;
  /**
   * Counted with the default model's tokenizer (else about: words x 1.3)
   */
  tokens_exact: boolean;
  valid: boolean;
  warnings: DatasetIssue[];
}

export interface DatasetIssue {
  field: string | null;
  /**
   * 1-based line number in the file, None for the whole file
   */
  line: number | null;
  message: string;
  severity: 'error' | 'warning';
}

export interface DatasetPreview {
  id: string;
  rows: PreviewRow[];
  /**
   * Examples in the whole file
   */
  total: number;
}

export interface PreviewRow {
  line: number;
  /**
   * [{role, content}] of a chat-like example (a preference pair's prompt and chosen answer)
   */
  messages:
    | {
        [k: string]: unknown;
      }[]
    | null;
  /**
   * A preference pair's rejected answer
   */
  rejected: string | null;
  /**
   * A text example's text
   */
  text: string | null;
}

export interface DocumentPair {
  answer: string;
  question: string;
  quote: string;
  source: RowSource;
}

/**
 * Where a dataset row came from: one line of the provenance sidecar, aligned with the
 * dataset's lines.
 */
export interface RowSource {
  chunk_id: string;
  file: string;
  /**
   * For people: 'manual.pdf p. 3-4' or 'guide.md > Install'
   */
  label: string;
  /**
   * 1-based PDF pages the chunk spans
   */
  pages: number[];
  /**
   * The teacher's quote from the chunk (qa mode)
   */
  quote: string | null;
  /**
   * Headings the chunk falls under
   */
  sections: string[];
}

export interface DocumentSummary {
  chunks: number;
  file: string;
  kind: 'pdf' | 'docx' | 'html' | 'markdown' | 'text';
  pages: number;
  pairs: number;
  /**
   * 'none': it gave no rows
   */
  split: 'train' | 'held_out' | 'none';
}

export interface DocumentsFolderRequest {
  chunk_tokens?: number;
  dataset_id: string;
  /**
   * Ollama's address; default the setting
   */
  host?: string | null;
  /**
   * The dataset's name; default its id
   */
  name?: string | null;
  overlap_tokens?: number;
  pairs_per_chunk?: number;
  /**
   * The folder of documents
   */
  source_dir: string;
  /**
   * An Ollama model; none: text chunks
   */
  teacher?: string | null;
}

export interface DocumentsJobIdRequest {
  job_id: string;
}

export interface DocumentsJobState {
  /**
   * The registered dataset, when done
   */
  dataset: DatasetInfo | null;
  dataset_id: string;
  error: string | null;
  error_code: string | null;
  finished_at: string | null;
  job_id: string;
  mode: 'qa' | 'text';
  /**
   * What the dataset means for training
   */
  notes: string[];
  /**
   * None while the folder is being read
   */
  progress: DocumentsProgress | null;
  report: DocumentsReport | null;
  started_at: string;
  /**
   * no_pairs: it ended without a pair to train on (nothing registered)
   */
  status: 'running' | 'done' | 'no_pairs' | 'error' | 'cancelled';
  teacher: string | null;
}

export interface DocumentsProgress {
  chunks_done: number;
  chunks_total: number;
  elapsed_s: number;
  /**
   * Seconds left at the teacher's pace so far; None before it is known
   */
  eta_s: number | null;
  /**
   * The file of the chunk just done
   */
  file: string | null;
  /**
   * Chunks answered from the cache, without asking the teacher
   */
  from_cache: number;
  pairs_kept: number;
  pairs_rejected: number;
  /**
   * Rejections so far, by reason
   */
  rejected: {
    [k: string]: number;
  };
}

export interface DocumentsReport {
  /**
   * Chunks answered from the cache (an earlier preview or run)
   */
  cached_chunks: number;
  chunk_tokens: number;
  chunks: number;
  /**
   * Files read with text
   */
  documents: number;
  /**
   * Chunks identical to an earlier one, left out
   */
  duplicate_chunks: number;
  duration_s: number;
  files: DocumentSummary[];
  finished_at: string;
  held_out_documents: string[];
  held_out_rows: number;
  /**
   * Files of other types (not PDF, DOCX, HTML, Markdown, text)
   */
  ignored_files: number;
  mode: 'qa' | 'text';
  /**
   * What the result means for training
   */
  notes: string[];
  output_dir: string;
  overlap_tokens: number;
  /**
   * PDF pages read
   */
  pages: number;
  pairs_kept: number;
  pairs_per_chunk: number | null;
  prompt_version: string | null;
  /**
   * Rejections by reason; broken_json and teacher_error count chunks, the rest pairs
   */
  rejected: {
    [k: string]: number;
  };
  skipped: SkippedFile[];
  source_dir: string;
  started_at: string;
  teacher: string | null;
  /**
   * Chunks the teacher was asked about in this run
   */
  teacher_calls: number;
  /**
   * What counted the tokens
   */
  tokenizer: string;
  train_rows: number;
}

export interface SkippedFile {
  /**
   * Path relative to the folder
   */
  file: string;
  /**
   * Why it was not read, e.g. 'encrypted PDF (needs a password)'
   */
  reason: string;
}

export interface DocumentsPreview {
  /**
   * Chunks asked about (the first ones of the folder)
   */
  chunks: number;
  pairs: DocumentPair[];
  rejected: {
    [k: string]: number;
  };
  /**
   * Files skipped on the way to those chunks
   */
  skipped: SkippedFile[];
  teacher: string;
}

export interface DocumentsResult {
  format: 'chat' | 'text';
  /**
   * Each held-out question's kind: of a document the model trains on, or of one held out whole
   */
  held_out_kinds: {
    [k: string]: 'trained_document' | 'held_out_document';
  };
  held_out_path: string | null;
  /**
   * Held-out questions, answered before and after training
   */
  held_out_prompts: string[];
  held_out_provenance_path: string | null;
  report: DocumentsReport;
  report_path: string;
  train_path: string;
  train_provenance_path: string;
}

export interface ErrorInfo {
  /**
   * Stable machine-readable code (errors.py), e.g. unknown_profile
   */
  code:
    | 'invalid_argument'
    | 'invalid_input'
    | 'invalid_epochs'
    | 'invalid_dataset'
    | 'invalid_catalog'
    | 'data_folder_unwritable'
    | 'invalid_profile'
    | 'invalid_flow'
    | 'invalid_host'
    | 'invalid_model_name'
    | 'invalid_output_dir'
    | 'invalid_ollama_name'
    | 'not_available'
    | 'no_teacher'
    | 'no_documents'
    | 'not_found'
    | 'unknown_command'
    | 'unknown_training'
    | 'unknown_profile'
    | 'unknown_dataset'
    | 'unknown_flow'
    | 'unknown_flow_run'
    | 'unknown_ollama_model'
    | 'unknown_teacher'
    | 'file_not_found'
    | 'documents_not_found'
    | 'base_model_not_found'
    | 'ollama_store_missing'
    | 'no_checkpoint'
    | 'no_adapter'
    | 'not_exportable'
    | 'nothing_to_resume'
    | 'dataset_exists'
    | 'profile_exists'
    | 'conflict'
    | 'job_running'
    | 'export_running'
    | 'documents_job_running'
    | 'cancelled'
    | 'ollama_unreachable'
    | 'ollama_too_old'
    | 'ollama_create_failed'
    | 'ollama_upload_failed'
    | 'ollama_chat_failed'
    | 'teacher_failing'
    | 'ollama_client_missing'
    | 'ollama_store_error'
    | 'invalid_ollama_manifest'
    | 'unreadable_blob'
    | 'step_failed'
    | 'model_file_failed'
    | 'ask_failed'
    | 'export_interrupted'
    | 'internal_error';
  /**
   * What went wrong, in words a person can act on
   */
  message: string;
}

/**
 * After create: does Ollama answer as the trained model?
 */
export interface ExportCheck {
  /**
   * Ollama's greedy answer equals the app's own answer
   */
  answer: 'same' | 'differs' | 'not_checked';
  app_answer: string | null;
  /**
   * The prompt as the trainer's chat template rendered it
   */
  expected_prompt: string | null;
  /**
   * /api/show knows the new model
   */
  known: boolean;
  /**
   * One line: 'Ollama answers as the trained model', or what differs
   */
  message: string;
  ollama_answer: string | null;
  /**
   * The held-out question the check asked
   */
  prompt: string | null;
  /**
   * Ollama's prompt for a held-out question equals the trainer's
   */
  rendered: 'same' | 'differs' | 'not_checked';
  /**
   * The prompt as Ollama rendered it
   */
  rendered_prompt: string | null;
}

export interface ExportRequest {
  host?: string | null;
  /**
   * Default: <dataset_id>-<short id>
   */
  model_name?: string | null;
  /**
   * The model file's type, quantized here by llama.cpp before the upload (Ollama 0.35 refuses to quantize a GGUF itself); None: Q4_K_M for a base of 1 B parameters or more, F16 below
   */
  quantize?: ('f16' | 'q8_0' | 'q4_K_M') | null;
  training_id: string;
}

export interface ExportResult {
  check: ExportCheck | null;
  command: string;
  gguf_adapter: string | null;
  host: string;
  model_file: string;
  modelfile: string;
  ollama_model: string;
  /**
   * Ollama's streamed status lines
   */
  statuses: string[];
  training_id: string;
}

/**
 * runs/<id>/export.json: the last export of a run, rewritten atomically at each change.
 */
export interface ExportState {
  check: ExportCheck | null;
  code: string | null;
  /**
   * The shell command that builds the model from the Modelfile
   */
  command: string | null;
  error: string | null;
  /**
   * adapter.gguf: the LoRA alone, for llama.cpp users (Ollama 0.34.1+ refuses adapters)
   */
  gguf_adapter: string | null;
  host: string | null;
  message: string;
  model: string | null;
  /**
   * The size of the file sent to Ollama
   */
  model_bytes: number | null;
  /**
   * What was sent to Ollama: model.gguf or the merged folder
   */
  model_file: string | null;
  /**
   * Path of the Modelfile written next to the model file
   */
  modelfile: string | null;
  /**
   * The types this run's model file can be exported as, with their sizes
   */
  options: QuantizeOption[];
  /**
   * Of the step under way (writing, uploading)
   */
  progress: number | null;
  quantize: ('f16' | 'q8_0' | 'q4_K_M') | null;
  state: 'idle' | 'exporting' | 'done' | 'error';
  training_id: string;
  updated_at: string | null;
}

/**
 * One type the model file can be written as, with about how big it is.
 */
export interface QuantizeOption {
  /**
   * False: it needs llama.cpp's quantizer, which is not installed
   */
  available: boolean;
  /**
   * About the model file's size; None when the base's size is unknown
   */
  bytes: number | null;
  /**
   * What an export without a choice makes (Q4_K_M from 1 B parameters)
   */
  default: boolean;
  kind: 'f16' | 'q8_0' | 'q4_K_M';
  why_not: string | null;
}

export interface FeedbackDeleteRequest {
  index: number;
  training_id: string;
}

export interface FeedbackList {
  dataset_id: string;
  marks: FeedbackMark[];
  /**
   * The JSONL file, editable like any dataset
   */
  path: string;
}

/**
 * One line of a feedback dataset, as the Chat page lists it.
 */
export interface FeedbackMark {
  /**
   * The answer kept: as it was, the person's own, or the chosen
   */
  answer: string;
  /**
   * Its line among the marks (0 = the first), for deleting it
   */
  index: number;
  kind: 'good' | 'corrected' | 'pair';
  /**
   * A correction: what the model had said
   */
  original: string | null;
  /**
   * The question it answers (the last user turn)
   */
  prompt: string;
  /**
   * A pair: the answer not chosen
   */
  rejected: string | null;
  time: string;
  /**
   * User turns in its conversation, the question included
   */
  turns: number;
}

/**
 * An answer of a run's trained model marked in Try it or the Chat: kept as it is (good), as
 * the person wrote it instead (corrected), or chosen over another answer to the same turn
 * (pair), into the run's feedback dataset.
 */
export interface FeedbackRequest {
  /**
   * The answer to keep (for a pair: the chosen)
   */
  answer: string;
  /**
   * The talk before `prompt`
   *
   * @maxItems 200
   */
  history?: ChatTurn[];
  kind: 'good' | 'corrected' | 'pair';
  /**
   * For a correction: the model's own answer
   */
  original?: string | null;
  prompt: string;
  /**
   * For a pair: the answer not chosen
   */
  rejected?: string | null;
  training_id: string;
}

export interface FeedbackSaved {
  /**
   * The run's feedback dataset, feedback-<run>
   */
  dataset_id: string;
  /**
   * How many answers it holds now
   */
  marks: number;
}

/**
 * A flow file as listed for the UI. A broken file is listed too: its id comes from the
 * file name and `error` says what is wrong (it cannot be run).
 */
export interface FlowInfo {
  description: string;
  error: string | null;
  /**
   * The flow file's path
   */
  file: string;
  id: string;
  /**
   * What each input stands for: a profile, dataset or run id to choose, a number, a folder, a boolean or text
   */
  input_kinds: {
    [k: string]: 'profile' | 'dataset' | 'training' | 'number' | 'boolean' | 'folder' | 'text';
  };
  /**
   * Input names and defaults (None: required)
   */
  inputs: {
    [k: string]: string | number | boolean | null;
  };
  name: string;
  source: 'builtin' | 'user';
  steps: FlowStep[];
}

export interface FlowStep {
  /**
   * As written; may hold ${inputs.x} / ${steps.id.field}
   */
  args: {
    [k: string]: unknown;
  };
  cmd: 'TRAIN' | 'INDEX' | 'EXPORT' | 'EVAL';
  continue_on_error: boolean;
  id: string;
}

export interface FlowRun {
  duration_s: number | null;
  error: string | null;
  finished_at: string | null;
  flow_id: string;
  flow_name: string;
  flow_run_id: string;
  inputs: {
    [k: string]: string | number | boolean | null;
  };
  started_at: string;
  status: 'running' | 'done' | 'error' | 'cancelled' | 'interrupted';
  steps: FlowStepRun[];
}

export interface FlowStepRun {
  /**
   * Resolved arguments once the step started, else as written
   */
  args: {
    [k: string]: unknown;
  };
  cmd: 'TRAIN' | 'INDEX' | 'EXPORT' | 'EVAL';
  continue_on_error: boolean;
  duration_s: number | null;
  error: string | null;
  finished_at: string | null;
  id: string;
  outputs: {
    [k: string]: unknown;
  };
  started_at: string | null;
  status: 'pending' | 'running' | 'done' | 'error' | 'skipped' | 'cancelled';
  /**
   * A TRAIN step's training run, as soon as it started
   */
  training_id: string | null;
}

export interface FlowRunIdRequest {
  flow_run_id: string;
}

export interface ImportDatasetRequest {
  description?: string | null;
  id?: string | null;
  name?: string | null;
  path: string;
  /**
   * Replace the user's dataset with this id (never done silently)
   */
  replace?: boolean;
}

/**
 * Who trains on this machine now (any process), and who waits.
 */
export interface JobSlotInfo {
  /**
   * The running job was started by this app
   */
  here: boolean;
  /**
   * Where the running job was started: window, browser, cli (the command line, a flow run there included) or app
   */
  origin: string | null;
  queued: TrainingStatus[];
  /**
   * Of the queued, those this app started
   */
  queued_here: string[];
  running: TrainingStatus | null;
}

/**
 * PULSE v1: the snapshot the UI polls.
 */
export interface TrainingStatus {
  /**
   * Ended without finishing, with a checkpoint to continue from
   */
  can_resume: boolean;
  dataset_id: string | null;
  epoch: number;
  error: string | null;
  /**
   * The run's estimate: the preview's, recorded at Start; else the trainer's, made before the first step
   */
  estimate: RunEstimate | null;
  eta_s: number | null;
  eval_loss: number | null;
  finished_at: string | null;
  flow_run_id: string | null;
  /**
   * The finished run whose trained model this one trains further
   */
  from_run: string | null;
  loss: number | null;
  message: string;
  /**
   * Preference runs, at the last evaluation: the share of held-out pairs whose chosen answer is rewarded above the rejected
   */
  pref_accuracy: number | null;
  profile_id: string | null;
  /**
   * While queued: 1 = next to start
   */
  queue_position: number | null;
  /**
   * The run this one continues from its checkpoint
   */
  resumed_from: string | null;
  /**
   * ... the chosen answers' mean reward minus the rejected's
   */
  reward_margin: number | null;
  /**
   * The stage outside the training steps under way: replay, samples, probe, model_file (None while training steps run)
   */
  stage: string | null;
  /**
   * Of the stage: answers (or tensors) finished
   */
  stage_done: number | null;
  /**
   * Of the stage: answers (or tensors) in all
   */
  stage_total: number | null;
  started_at: string | null;
  status:
    | 'idle'
    | 'queued'
    | 'preparing'
    | 'running'
    | 'exporting'
    | 'done'
    | 'error'
    | 'cancelled'
    | 'interrupted';
  step: number;
  tokens_per_s: number | null;
  total_epochs: number;
  total_steps: number;
  training_id: string;
}

export interface LimitRequest {
  limit?: number;
}

export interface LoraSettings {
  /**
   * Integer: Ollama parses it as one
   */
  alpha: number;
  dropout: number;
  r: number;
  target_modules: string[];
}

export interface MetricsRequest {
  since_step?: number;
  training_id: string;
}

export interface OllamaConnection {
  /**
   * Creates models from the app's files (reachable, 0.5.5 or newer): what an export needs; every model file type is made here, so each one it offers is then accepted
   */
  can_import: boolean;
  /**
   * The resolved address, e.g. http://127.0.0.1:11434
   */
  host: string;
  /**
   * One line for the sidebar: the version, or what to do
   */
  message: string;
  reachable: boolean;
  version: string | null;
}

export interface OllamaHostRequest {
  /**
   * Overrides OLLAMA_HOST; None: the default
   */
  host?: string | null;
}

export interface PickBaseRequest {
  /**
   * A safetensors folder (else a .gguf file)
   */
  folder?: boolean;
}

export interface PickedFile {
  /**
   * The chosen file, or None when the dialog was cancelled
   */
  path: string | null;
}

export interface PreviewRequest {
  id: string;
  limit?: number;
}

export interface ProfileIdRequest {
  profile_id: string;
}

export interface RenameRunRequest {
  /**
   * A name for the run; empty clears it
   */
  name: string;
  training_id: string;
}

export interface ResumeTrainingRequest {
  /**
   * Train to this many epochs; default: the run's
   */
  epochs?: number | null;
  queue?: boolean;
  /**
   * The run to continue from its last checkpoint
   */
  training_id: string;
}

export interface RunFlowRequest {
  flow_id: string;
  inputs?: {
    [k: string]: string | number | boolean;
  } | null;
}

export interface RunFlowResult {
  flow_run_id: string;
}

export interface RunPreview {
  /**
   * Free RAM now (VRAM on a GPU)
   */
  available_memory_gb: number | null;
  base_model: string;
  can_start: boolean;
  dataset_id: string;
  device: string;
  /**
   * Examples with no trainable tokens within max_seq_len: not trained on
   */
  dropped: number;
  epochs: number;
  estimate: RunEstimate;
  eval_examples: number;
  examples: number;
  profile_id: string;
  /**
   * Why it cannot start, when it cannot
   */
  reason: string | null;
  /**
   * The base's own answers mixed in (replay)
   */
  replay_examples: number;
  /**
   * Said for a dataset under 30 examples to train on
   */
  small_dataset: SmallDataset | null;
  /**
   * Per epoch: every token the model reads
   */
  total_tokens: number;
  train_examples: number;
  /**
   * Per epoch, after masking: the tokens the loss is computed on
   */
  trainable_tokens: number;
  /**
   * Examples cut at max_seq_len
   */
  truncated: number;
  warnings: string[];
}

/**
 * A dataset under SMALL_DATASET examples to train on, and the epochs it needs.
 */
export interface SmallDataset {
  /**
   * The epochs this run has
   */
  epochs: number;
  /**
   * About the epochs this profile needs to learn a set this small (optimizer steps x learning rate reaching what the demos learn with)
   */
  epochs_needed: number;
  train_examples: number;
}

export interface RunPreviewRequest {
  /**
   * Instead of the profile's base_model
   */
  base?: string | null;
  dataset_id: string;
  epochs?: number | null;
  overrides?: TrainingOverrides | null;
  profile_id: string;
}

export interface TrainingOverrides {
  batch_size?: number | null;
  learning_rate?: number | null;
  max_seq_len?: number | null;
}

/**
 * What a run was started with (its job.json); its profile, overrides applied, is `profile`.
 */
export interface RunRequest {
  dataset_id: string;
  epochs: number;
  flow_run_id: string | null;
  from_run: string | null;
  profile_id: string;
  resumed_from: string | null;
}

export interface SaveProfileRequest {
  profile: TrainingProfile;
  /**
   * Overwrite the user's profile with this id (else profile_exists)
   */
  replace?: boolean;
}

export interface TrainingProfile {
  auto_export: boolean;
  /**
   * builtin (SmolLM2-135M Instruct), ollama:NAME[:TAG] from the local Ollama store, a .gguf file, a safetensors folder or a Hugging Face id
   */
  base_model: string;
  batch_size: number;
  /**
   * A token budget per batch: as many length-grouped examples as fit in this many padded tokens (batch_size is then ignored)
   */
  batch_tokens: number | null;
  /**
   * DPO/ORPO: how strongly the pairs pull (higher: further from the base)
   */
  beta: number;
  default_epochs: number;
  description: string;
  device: 'auto' | 'cpu' | 'cuda' | 'mps';
  /**
   * Stop after this many evaluations without a better eval loss; the best checkpoint is the result either way
   */
  early_stopping_patience: number | null;
  eval_fraction: number;
  /**
   * Also evaluate every this many steps (else once per epoch)
   */
  eval_steps: number | null;
  gradient_accumulation: number;
  /**
   * Recompute activations in the backward pass instead of keeping them: much less memory, about a third more time; auto = on when the run would not fit without it
   */
  gradient_checkpointing: 'auto' | 'on' | 'off';
  id: string;
  learning_rate: number;
  lora: LoraSettings;
  max_seq_len: number;
  name: string;
  /**
   * An Ollama name for the base (e.g. smollm2:135m): a hint for its chat format only; the export sends the whole trained model, no base is pulled
   */
  ollama_base: string | null;
  /**
   * Matmul precision (bf16 autocast, fp32 weights and optimizer): auto = bf16 on CUDA and on CPUs with native bf16 (AVX512-BF16, AMX), fp32 otherwise
   */
  precision: 'auto' | 'fp32' | 'bf16';
  /**
   * How a preference dataset's pairs train: dpo (the chosen answer made likelier than the rejected, against the base: the adapter disabled), orpo (no reference; also learns the chosen answers) or sft (the chosen answers alone)
   */
  preference_loss: 'dpo' | 'orpo' | 'sft';
  /**
   * After training, ask the general probe questions: the kept score
   */
  probe: boolean;
  /**
   * Mix the base model's own answers to general prompts into the training data, so it keeps what it knew; auto = on for datasets under 500 examples
   */
  replay: 'auto' | 'on' | 'off';
  /**
   * Replay examples per dataset example (at most the replay prompts there are)
   */
  replay_ratio: number;
  seed: number;
  source: 'builtin' | 'user';
  /**
   * A trainer silent this long (no event) is stopped as hung
   */
  stall_timeout_s: number;
  system_prompt: string | null;
  warmup_ratio: number;
  /**
   * How the frozen base weights are held: bf16, or nf4 (4-bit QLoRA, on a CUDA GPU with bitsandbytes); auto = nf4 on a GPU when bf16 would not fit
   */
  weights: 'auto' | 'bf16' | 'nf4';
}

/**
 * What the user set in the window (data folder's settings.json).
 */
export interface Settings {
  /**
   * None: OLLAMA_HOST or the default address
   */
  ollama_host?: string | null;
}

export interface StartTrainingRequest {
  /**
   * Train this base instead of the profile's: builtin, ollama:NAME[:TAG], a .gguf file or a safetensors folder
   */
  base?: string | null;
  dataset_id: string;
  /**
   * The profile's default_epochs when absent
   */
  epochs?: number | null;
  /**
   * A finished run whose trained model to train further (its adapter is the start): Train on feedback
   */
  from_run?: string | null;
  overrides?: TrainingOverrides | null;
  profile_id: string;
  /**
   * Wait in line when another job runs (else job_running)
   */
  queue?: boolean;
  /**
   * A training_id whose last checkpoint to continue
   */
  resume_from?: string | null;
}

export interface StartTrainingResult {
  training_id: string;
}

export interface TeacherModel {
  family: string | null;
  /**
   * As Ollama names it, e.g. llama3.2:latest
   */
  name: string;
  /**
   * e.g. 3.2B
   */
  parameter_size: string | null;
  quantization: string | null;
  size_bytes: number | null;
}

export interface TeacherModelList {
  host: string;
  /**
   * Why there is no list (Ollama not reachable), or how many models
   */
  message: string;
  models: TeacherModel[];
  reachable: boolean;
}

export interface TrainOnFeedbackRequest {
  /**
   * Default: what a set this size needs at the run's learning rate
   */
  epochs?: number | null;
  /**
   * Wait in line when another job runs (else job_running)
   */
  queue?: boolean;
  /**
   * The run whose trained model learns its feedback
   */
  training_id: string;
}

export interface TrainingIdRequest {
  training_id: string;
}

export interface TrainingMetrics {
  last_step: number;
  points: MetricPoint[];
  training_id: string;
}

export interface TrainingRunDetails {
  artifacts: {
    [k: string]: string;
  };
  /**
   * The run that resumed this one (the newest), if any
   */
  continued_by: string | null;
  metrics: MetricPoint[];
  profile: TrainingProfile | null;
  request: RunRequest | null;
  samples: SampleAnswer[];
  scores: RunScores | null;
  status: TrainingStatus;
  summary: TrainingRunSummary | null;
  /**
   * Runs that trained this run's model further, newest first
   */
  trained_further_by: string[];
}

export interface UpdateDatasetRequest {
  description?: string | null;
  id: string;
  name?: string | null;
}

/**
 * A dataset file's content from the page (a file input or drag and drop).
 */
export interface UploadDatasetRequest {
  content: string;
  description?: string | null;
  filename: string;
  id?: string | null;
  name?: string | null;
  replace?: boolean;
}

// -- constants from contracts.py ------------------------------------------------------

export const ERROR_CODES = ['invalid_argument', 'invalid_input', 'invalid_epochs', 'invalid_dataset', 'invalid_catalog', 'data_folder_unwritable', 'invalid_profile', 'invalid_flow', 'invalid_host', 'invalid_model_name', 'invalid_output_dir', 'invalid_ollama_name', 'not_available', 'no_teacher', 'no_documents', 'not_found', 'unknown_command', 'unknown_training', 'unknown_profile', 'unknown_dataset', 'unknown_flow', 'unknown_flow_run', 'unknown_ollama_model', 'unknown_teacher', 'file_not_found', 'documents_not_found', 'base_model_not_found', 'ollama_store_missing', 'no_checkpoint', 'no_adapter', 'not_exportable', 'nothing_to_resume', 'dataset_exists', 'profile_exists', 'conflict', 'job_running', 'export_running', 'documents_job_running', 'cancelled', 'ollama_unreachable', 'ollama_too_old', 'ollama_create_failed', 'ollama_upload_failed', 'ollama_chat_failed', 'teacher_failing', 'ollama_client_missing', 'ollama_store_error', 'invalid_ollama_manifest', 'unreadable_blob', 'step_failed', 'model_file_failed', 'ask_failed', 'export_interrupted', 'internal_error'] as const;
export const FLOW_TERMINAL_STATES = ['cancelled', 'done', 'error', 'interrupted'] as const;
export const MAX_EPOCHS = 100 as const;
export const TERMINAL_STATES = ['cancelled', 'done', 'error', 'interrupted'] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

// -- field defaults and bounds, per model ----------------------------------------------

export const FIELD_DEFAULTS = {
  Ack: { ok: true },
  AskRequest: { with_adapter: true },
  ChatAnswer: { cut: false },
  ChatSendRequest: { another: false, with_adapter: true },
  ChatStream: { cut: false, done: false, text: '' },
  DatasetEntry: { description: '', source: 'builtin' },
  DatasetInfo: { description: '', examples: 0, source: 'builtin', tokens_exact: false, valid: false },
  DatasetIssue: { severity: 'error' },
  DocumentsFolderRequest: { chunk_tokens: 256, overlap_tokens: 32, pairs_per_chunk: 3 },
  ExportState: { message: '', state: 'idle' },
  FeedbackMark: { time: '', turns: 1 },
  FlowInfo: { description: '', source: 'builtin' },
  FlowRun: { flow_name: '' },
  FlowStep: { continue_on_error: false },
  FlowStepRun: { continue_on_error: false, status: 'pending' },
  HeldOutCheck: { mode: 'contains' },
  ImportDatasetRequest: { replace: false },
  JobSlotInfo: { here: false },
  KeptRow: { base_right: true },
  LimitRequest: { limit: 10 },
  LoraSettings: { alpha: 32, dropout: 0, r: 16 },
  MetricsRequest: { since_step: 0 },
  OllamaConnection: { can_import: false },
  PickBaseRequest: { folder: false },
  PreviewRequest: { limit: 5 },
  QuantizeOption: { available: true, default: false },
  ResumeTrainingRequest: { queue: false },
  RunEstimate: { basis: 'formula', device: 'cpu', fits: true, gradient_checkpointing: false, weights: 'bf16', why: '' },
  RunPrecision: { gradient_checkpointing: false },
  RunScores: { pairs: 0, replay_examples: 0 },
  SampleAnswer: { source: 'dataset' },
  SaveProfileRequest: { replace: false },
  StartTrainingRequest: { queue: false },
  TrainOnFeedbackRequest: { queue: false },
  TrainingProfile: { auto_export: false, batch_size: 4, beta: 0.1, default_epochs: 3, description: '', device: 'auto', eval_fraction: 0.1, gradient_accumulation: 1, gradient_checkpointing: 'auto', learning_rate: 0.001, max_seq_len: 512, precision: 'auto', preference_loss: 'dpo', probe: true, replay: 'auto', replay_ratio: 2, seed: 42, source: 'builtin', stall_timeout_s: 900, warmup_ratio: 0.05, weights: 'auto' },
  TrainingRunSummary: { message: '', name: '', stopped_early: false },
  TrainingStatus: { can_resume: false, epoch: 0, message: '', step: 0, total_epochs: 0, total_steps: 0 },
  UploadDatasetRequest: { replace: false },
} as const;
export const FIELD_BOUNDS = {
  DocumentsFolderRequest: { chunk_tokens: { minimum: 16, maximum: 100000 }, overlap_tokens: { minimum: 0, maximum: 50000 }, pairs_per_chunk: { minimum: 1, maximum: 20 } },
  ExportState: { progress: { minimum: 0, maximum: 1 } },
  FeedbackDeleteRequest: { index: { minimum: 0 } },
  LimitRequest: { limit: { minimum: 1, maximum: 10000 } },
  LoraSettings: { alpha: { minimum: 1, maximum: 4096 }, dropout: { minimum: 0, exclusiveMaximum: 1 }, r: { minimum: 1, maximum: 1024 } },
  MetricsRequest: { since_step: { minimum: 0 } },
  PreviewRequest: { limit: { minimum: 1, maximum: 50 } },
  ResumeTrainingRequest: { epochs: { minimum: 1, maximum: 100 } },
  RunPreviewRequest: { epochs: { minimum: 1, maximum: 100 } },
  StartTrainingRequest: { epochs: { minimum: 1, maximum: 100 } },
  TrainOnFeedbackRequest: { epochs: { minimum: 1, maximum: 100 } },
  TrainingOverrides: { batch_size: { minimum: 1, maximum: 1024 }, learning_rate: { exclusiveMinimum: 0, maximum: 1 }, max_seq_len: { minimum: 16, maximum: 131072 } },
  TrainingProfile: { batch_size: { minimum: 1, maximum: 1024 }, batch_tokens: { minimum: 16, maximum: 10000000 }, beta: { exclusiveMinimum: 0, maximum: 10 }, default_epochs: { minimum: 1, maximum: 100 }, early_stopping_patience: { minimum: 1, maximum: 1000 }, eval_fraction: { minimum: 0, exclusiveMaximum: 0.9 }, eval_steps: { minimum: 1, maximum: 1000000 }, gradient_accumulation: { minimum: 1, maximum: 1024 }, learning_rate: { exclusiveMinimum: 0, maximum: 1 }, max_seq_len: { minimum: 16, maximum: 131072 }, replay_ratio: { minimum: 0, maximum: 20 }, stall_timeout_s: { minimum: 5, maximum: 86400 }, warmup_ratio: { minimum: 0, exclusiveMaximum: 1 } },
} as const;

// -- every bridge command: its request and its result -----------------------------------

export interface CommandMap {
  add_feedback: { request: FeedbackRequest; result: FeedbackSaved };
  app_info: { request: null; result: AppInfo };
  ask_local_model: { request: AskRequest; result: ChatAnswer };
  ask_ollama: { request: ChatRequest; result: ChatAnswer };
  cancel_documents_job: { request: DocumentsJobIdRequest; result: DocumentsJobState };
  cancel_flow_run: { request: FlowRunIdRequest; result: FlowRun };
  cancel_training_job: { request: TrainingIdRequest; result: TrainingStatus };
  chat_read: { request: ChatStreamRequest; result: ChatStream };
  chat_send: { request: ChatSendRequest; result: ChatStream };
  close_app: { request: CloseAppRequest; result: Ack };
  compare_runs: { request: CompareRequest; result: CompareResult };
  delete_dataset: { request: DatasetIdRequest; result: Ack };
  delete_feedback: { request: FeedbackDeleteRequest; result: FeedbackList };
  delete_training_profile: { request: ProfileIdRequest; result: Ack };
  export_to_ollama: { request: ExportRequest; result: ExportState };
  get_active_training: { request: null; result: TrainingStatus | null };
  get_documents_job: { request: DocumentsJobIdRequest; result: DocumentsJobState };
  get_export_state: { request: TrainingIdRequest; result: ExportState };
  get_flow_run: { request: FlowRunIdRequest; result: FlowRun };
  get_flow_runs: { request: LimitRequest; result: FlowRun[] };
  get_job_slot: { request: null; result: JobSlotInfo };
  get_ollama_connection: { request: OllamaHostRequest; result: OllamaConnection };
  get_settings: { request: null; result: Settings };
  get_training_history: { request: LimitRequest; result: TrainingRunSummary[] };
  get_training_metrics: { request: MetricsRequest; result: TrainingMetrics };
  get_training_run: { request: TrainingIdRequest; result: TrainingRunDetails };
  get_training_status: { request: TrainingIdRequest; result: TrainingStatus };
  import_dataset: { request: ImportDatasetRequest; result: DatasetInfo };
  list_base_models: { request: null; result: BaseModelList };
  list_broken_entries: { request: null; result: BrokenEntries };
  list_datasets: { request: null; result: DatasetInfo[] };
  list_feedback: { request: TrainingIdRequest; result: FeedbackList };
  list_flows: { request: null; result: FlowInfo[] };
  list_teacher_models: { request: OllamaHostRequest; result: TeacherModelList };
  list_training_profiles: { request: null; result: TrainingProfile[] };
  pick_base_model: { request: PickBaseRequest; result: PickedFile };
  pick_dataset_file: { request: null; result: PickedFile };
  pick_documents_folder: { request: null; result: PickedFile };
  preview_dataset: { request: PreviewRequest; result: DatasetPreview };
  preview_documents: { request: DocumentsFolderRequest; result: DocumentsPreview };
  preview_training_run: { request: RunPreviewRequest; result: RunPreview };
  rename_training_run: { request: RenameRunRequest; result: TrainingRunSummary };
  resume_training_job: { request: ResumeTrainingRequest; result: StartTrainingResult };
  run_flow: { request: RunFlowRequest; result: RunFlowResult };
  save_training_profile: { request: SaveProfileRequest; result: TrainingProfile };
  start_documents_job: { request: DocumentsFolderRequest; result: DocumentsJobState };
  start_training_job: { request: StartTrainingRequest; result: StartTrainingResult };
  train_on_feedback: { request: TrainOnFeedbackRequest; result: StartTrainingResult };
  update_dataset: { request: UpdateDatasetRequest; result: DatasetInfo };
  update_settings: { request: Settings; result: Settings };
  upload_dataset: { request: UploadDatasetRequest; result: DatasetInfo };
}

export type CommandName = keyof CommandMap;
