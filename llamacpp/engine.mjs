// llama.cpp for the Python tests (tests/llamacpp_engine.py), through node-llama-cpp's prebuilt
// CPU build: no GPU, no compiler, no download.
//
// Reads one JSON request from stdin, loads the model once, answers every key it has, and prints
// one JSON reply on stdout (nothing else goes to stdout; llama.cpp's logs go to stderr):
//   {"model": PATH, "info": true}                    -> {"info": {...GGUF metadata llama.cpp read}}
//   {"model": PATH, "tokenize": ["text", ...]}       -> {"tokens": [[id, ...], ...]}
//   {"model": PATH, "complete": [{"prompt": "raw text", "max_tokens": N, "bos": false}, ...]}
//     ("bos": true puts the model's BOS token first when the model adds one, as Ollama does;
//      "until_end": false keeps generating past an end-of-generation token, to max_tokens)
//                                                    -> {"completions": [{"tokens": [...], "text": "..."}]}
//   {"model": PATH, "chat": [{"system": "..." | null, "prompt": "..."}], "max_tokens": N}
//                                                    -> {"answers": ["...", ...]}
// Keys may be combined. Any failure: {"error": "message"} and exit code 1.
//
// Text is tokenized with special tokens recognised ("<|im_start|>" is one token) and no BOS is
// added: a raw prompt is evaluated exactly as written, so a prompt rendered by a chat template
// carries whatever BOS that template writes. Generation is greedy (temperature 0).

import fs from "node:fs";
import os from "node:os";
import {getLlama, readGgufFileInfo, LlamaChatSession, JinjaTemplateChatWrapper, LlamaLogLevel} from "node-llama-cpp";

const MIN_CONTEXT = 1024;

/** Everything stdin holds, as one string. */
async function readStdin() {
    let text = "";
    for await (const chunk of process.stdin) text += chunk;
    return text;
}

/** JSON.stringify that writes GGUF's 64-bit integers (BigInt) as numbers. */
function toJson(value) {
    return JSON.stringify(value, (_key, v) => (typeof v === "bigint" ? Number(v) : v));
}

/** Refuse, with a message that names the problem, a path that is not a model GGUF. */
async function checkModelFile(path) {
    if (typeof path !== "string" || path === "") throw new Error('the request has no "model" path');
    if (!fs.existsSync(path)) throw new Error(`model file not found: ${path}`);
    const head = Buffer.alloc(4);
    const fd = fs.openSync(path, "r");
    try {
        fs.readSync(fd, head, 0, 4, 0);
    } finally {
        fs.closeSync(fd);
    }
    if (head.toString("latin1") !== "GGUF") throw new Error(`not a GGUF file (no GGUF magic): ${path}`);
    const fileInfo = await readGgufFileInfo(path, {readTensorInfo: false});
    const type = fileInfo.metadata?.general?.type;
    if (type === "adapter") {
        const kind = fileInfo.metadata?.adapter?.type ?? "unknown";
        throw new Error(`a ${kind} adapter GGUF, not a model: ${path}`);
    }
}

/** Tokens of `text`, special tokens recognised, no BOS added. */
function tokenize(model, text) {
    return model.tokenize(text, true);
}

/** The GGUF metadata llama.cpp read, in a few plain fields. */
function modelInfo(model) {
    const meta = model.fileInfo.metadata;
    const tokenizer = meta.tokenizer ?? {};
    let parameters = null;
    try {
        parameters = model.fileInsights.totalParameters;
    } catch {
        parameters = null;
    }
    return {
        architecture: meta.general?.architecture ?? null,
        name: meta.general?.name ?? null,
        file_type: meta.general?.file_type ?? null,
        type_description: model.typeDescription,
        chat_template: tokenizer.chat_template ?? null,
        tokenizer_model: tokenizer.ggml?.model ?? null,
        token_count: tokenizer.ggml?.tokens?.length ?? null,
        vocabulary_type: model.vocabularyType,
        bos_token_id: model.tokens.bos,
        eos_token_id: model.tokens.eos,
        eot_token_id: model.tokens.eot,
        adds_bos_token: model.tokens.shouldPrependBosToken,
        train_context_size: model.trainContextSize,
        parameters,
        size_bytes: model.size,
    };
}

/** Greedy continuation of a raw prompt, until an end-of-generation token or max_tokens. */
async function complete(model, sequence, prompt, maxTokens, bos = false, untilEnd = true) {
    await sequence.clearHistory();
    const tokens = [];
    if (maxTokens > 0) {
        const input = tokenize(model, prompt);
        if (bos && model.tokens.bos != null && model.tokens.shouldPrependBosToken && input[0] !== model.tokens.bos) {
            input.unshift(model.tokens.bos);
        }
        for await (const token of sequence.evaluate(input, {temperature: 0, yieldEogToken: !untilEnd})) {
            if (untilEnd && model.isEogToken(token)) break;
            tokens.push(token);
            if (tokens.length >= maxTokens) break;
        }
    }
    return {tokens, text: model.detokenize(tokens)};
}

/** The chat wrapper built from the GGUF's own chat template (node-llama-cpp's choice when it has none). */
function chatWrapperFor(model) {
    const template = model.fileInfo.metadata.tokenizer?.chat_template;
    return template ? new JinjaTemplateChatWrapper({template}) : "auto";
}

/** Greedy chat answers, one fresh history per item on the one sequence. */
async function chat(model, sequence, items, maxTokens) {
    const chatWrapper = chatWrapperFor(model);
    const answers = [];
    for (const item of items) {
        await sequence.clearHistory();
        const session = new LlamaChatSession({contextSequence: sequence, chatWrapper, autoDisposeSequence: false});
        // No system message unless the item gives one: the template's own default (if any) applies,
        // not node-llama-cpp's generic default system prompt.
        const system = item.system ?? null;
        session.setChatHistory(system == null ? [] : [{type: "system", text: system}]);
        answers.push(await session.prompt(item.prompt, {temperature: 0, maxTokens}));
        session.dispose({disposeSequence: false});
    }
    return answers;
}

/** The context size the request's prompts need (at least MIN_CONTEXT, at most what the model trained on). */
function contextSizeFor(model, request) {
    let needed = MIN_CONTEXT;
    for (const item of request.complete ?? []) {
        needed = Math.max(needed, tokenize(model, item.prompt).length + (item.max_tokens ?? 0) + 8);
    }
    for (const item of request.chat ?? []) {
        const text = (item.system ?? "") + item.prompt;
        needed = Math.max(needed, tokenize(model, text).length + (request.max_tokens ?? 256) + 256);
    }
    const limit = model.trainContextSize || needed;
    return Math.min(needed, Math.max(limit, MIN_CONTEXT));
}

/** Answer one request; the reply object. */
async function handle(request) {
    await checkModelFile(request.model);
    const llama = await getLlama({
        gpu: false,
        build: "never",
        maxThreads: os.availableParallelism(),
        logLevel: LlamaLogLevel.error,
        logger: (level, message) => process.stderr.write(`[llama.cpp ${level}] ${message}\n`),
    });
    const model = await llama.loadModel({modelPath: request.model});
    const reply = {};
    try {
        if (request.info) reply.info = modelInfo(model);
        if (request.tokenize) reply.tokens = request.tokenize.map((text) => tokenize(model, text));
        if (request.complete || request.chat) {
            const context = await model.createContext({contextSize: contextSizeFor(model, request), sequences: 1});
            const sequence = context.getSequence();
            if (request.complete) {
                reply.completions = [];
                for (const item of request.complete) {
                    reply.completions.push(await complete(model, sequence, item.prompt, item.max_tokens ?? 24,
                                                          item.bos === true, item.until_end !== false));
                }
            }
            if (request.chat) reply.answers = await chat(model, sequence, request.chat, request.max_tokens ?? 64);
            await context.dispose();
        }
    } finally {
        await model.dispose();
        await llama.dispose();
    }
    return reply;
}

async function main() {
    let reply;
    let code = 0;
    try {
        reply = await handle(JSON.parse(await readStdin()));
    } catch (error) {
        process.stderr.write(`${error?.stack ?? error}\n`);
        reply = {error: error?.message ?? String(error)};
        code = 1;
    }
    process.stdout.write(toJson(reply) + "\n", () => process.exit(code));
}

main();
