"""The one settings object. Built at the entry point (CLI or app) and passed down.

Every field can be set with a `QA_`-prefixed environment variable (`QA_CORPUS=...`,
`QA_CHUNK__SIZE=800`) or, for the common ones, a command-line flag.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from qa.errors import SettingsError
from qa.vocabulary import PACKAGED, Vocabulary, load_vocabulary


class ChunkSettings(BaseModel):
    """How documents are cut into passages. Changing these means a full re-index."""

    size: int = Field(900, ge=100, le=10_000, description="Target passage length in characters.")
    overlap: int = Field(150, ge=0, le=5_000, description="Characters of the previous passage repeated.")
    min_size: int = Field(300, ge=0, description="A passage may end at a paragraph break once it is this long.")

    @model_validator(mode="after")
    def _overlap_below_size(self) -> ChunkSettings:
        if self.overlap >= self.size:
            raise ValueError(f"chunk overlap ({self.overlap}) must be smaller than chunk size ({self.size})")
        return self


class IndexSettings(BaseModel):
    """How the index is built. Encoder and chunk settings are recorded in the index manifest."""

    encoder: str = Field(
        "e5-small", description="e5-small | use-m3 | minilm | st:<sentence-transformers model name or path>"
    )
    batch_size: int = Field(32, ge=1, le=1024, description="Passages per encoder call.")
    sentence_vectors: bool = Field(
        True, description="Also embed each sentence, for re-ranking passages and choosing what to quote."
    )
    passages_first: bool = Field(
        True,
        description="Switch in a first version from the passages alone (their vectors, guard vectors and BM25) as "
        "soon as they are embedded, so that questions are answered while their sentences are still being "
        "embedded; then the complete version.",
    )
    guard_as_main: dict[str, tuple[float, float]] = Field(
        {"e5-small/use-m3": (0.576, 0.627)},
        description="Per main/guard encoder pair, how the guard encoder's cosines map onto the main encoder's "
        "(scale x cosine + shift; python -m benchmarks.guard_map fits them). With passages_first and a map for "
        "the encoders set, when no index version can be served yet, a first one is built on the guard encoder "
        "(seconds, where the main encoder takes minutes) with its cosines so mapped; {}: no such version.",
    )
    cache_file: Path | None = Field(
        None, description="Embedding cache (SQLite); default: embeddings.sqlite in the index folder."
    )
    hnsw_above: int = Field(200_000, ge=0, description="Use HNSW instead of exact search above this many chunks.")
    guard_encoder: str | None = Field(
        "use-m3",
        description="Second encoder whose passage vectors tell whether a question is on the study's topic "
        "(abstention); none: decide on the main encoder alone.",
    )

    def cosine_map(self) -> tuple[float, float] | None:
        """How the guard encoder's cosines map onto the main encoder's, if known for the two (`guard_as_main`)."""
        return self.guard_as_main.get(f"{self.encoder}/{self.guard_encoder}") if self.guard_encoder else None


class RetrievalSettings(BaseModel):
    """How dense and lexical results are fused and diversified."""

    candidates: int = Field(50, ge=1, description="Hits taken from each side before fusion.")
    rrf_k: int = Field(60, ge=1, description="Reciprocal rank fusion constant.")
    dense_weight: float = Field(1.0, ge=0, description="Weight of the dense ranking in the fusion.")
    lexical_weight: float = Field(1.0, ge=0, description="Weight of the BM25 ranking in the fusion.")
    lexical_coverage_power: float = Field(
        1.0,
        ge=0,
        description="Scale the lexical weight by (share of question words the index knows) ** this: an English "
        "question over Dutch text matches few words, and its BM25 ranking is then mostly noise.",
    )
    guard_weight_en: float = Field(
        0.5,
        ge=0,
        description="Weight of a third ranking of the fused candidates by the guard encoder (indexing.guard_encoder) "
        "for English questions; its vectors align English with Dutch better than e5-small's.",
    )
    guard_weight_nl: float = Field(0.0, ge=0, description="The same for Dutch questions (measured: no gain).")
    per_case: int = Field(
        3,
        ge=0,
        description="At most this many hits per case in the top k (0: no cap). 3, not 2, since PDF tables "
        "became rows: measured R@5 nl 0.970 vs 0.939, the answers equal.",
    )
    sentence_weight: float = Field(
        0.0, ge=0, description="Weight of the best-matching-sentence ranking when re-ranking (0: off)."
    )
    rerank_depth: int = Field(30, ge=1, description="How many fused hits are re-ranked by their sentences.")


class AnswerSettings(BaseModel):
    """How answers are composed from sentences; weights and thresholds tuned with `qa eval`."""

    passages: int = Field(10, ge=1, description="Passages retrieved per question.")
    vocabulary: tuple[Path, ...] = Field(
        PACKAGED,
        description="The product's words, one TOML file per language (intent words, the study's section "
        "headings, answer types, the answer's phrasing); default the packaged Dutch and English files. "
        "A deployment points this at its own copies, e.g. with a municipality's own headings.",
    )
    broad_per_case: int = Field(
        2, ge=0, description="Beside the best passages, the best ones of several cases: at most this many per case."
    )
    intent_passages: int = Field(
        8, ge=0, description="For 'what worked' / 'what went wrong': passages added from matching sections."
    )
    intent_per_case: int = Field(2, ge=0, description="... at most this many per case (0: no cap).")
    sentence_passages: int = Field(
        3,
        ge=0,
        description="At most this many passages added that hold a sentence closer to the question than every "
        "retrieved sentence (searched in the whole study, within its filters): a passage whose one sentence "
        "answers the question can rank low as a whole.",
    )
    question_form_weight: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Share of a sentence's similarity taken from the sentence embedded as a query (the rest: "
        "embedded as a passage).",
    )
    neighbour_weight: float = Field(
        0.25,
        ge=0,
        le=1,
        description="Share of a sentence's similarity taken from the best of the sentences beside it in its passage.",
    )
    lexical_weight: float = Field(0.15, ge=0, description="Weight of word overlap next to sentence similarity.")
    lexical_idf: bool = Field(True, description="Weigh the overlapping words by how rare they are in the study.")
    section_weight: float = Field(0.15, ge=0, description="Bonus for sentences in a section matching the intent.")
    rank_penalty: float = Field(0.001, ge=0, description="Score lost per retrieval rank of the passage.")
    group_margin: float = Field(0.07, ge=0, description="Quotes must score within this of the best one.")
    quote_margin: float = Field(0.04, ge=0, description="Extra quotes per case within this of the case's best.")
    answer_type_bonus: float = Field(
        0.01,
        ge=0,
        description="Bonus for sentences holding what the question asks for: a date, an amount, a duration, "
        "a count or a reason.",
    )
    pair_bonus: float = Field(0.0, description="Bonus for quoting a sentence together with the one after it.")
    intro_penalty: float = Field(0.025, ge=0, description="Score lost by sentences in a document's opening lines.")
    case_passages: int = Field(
        3, ge=1, description="Across cases: each case's best passages (ranked inside the case) that are gathered."
    )
    case_intent_passages: int = Field(
        2,
        ge=0,
        description="Across cases, for 'what worked' / 'what went wrong': the case's best passages filed "
        "under the matching sections, gathered beside them.",
    )
    case_weights: tuple[float, float, float, float, float] = Field(
        (16.519, 15.961, 1.736, 3.594, 12.528),
        description="Across cases, the decision whether a case speaks to the question: weights of how far its "
        "best sentence's score and its best passage's cosine fall below the best case's (both 0 or less), "
        "of its best BM25 score as a share of the best, of how far its guard-encoder cosine falls below the "
        "best case's, and the same for the question's topic alone (python -m benchmarks.case_decision fits them).",
    )
    case_bar: float = Field(
        -2.133,
        description="... the weighed sum a case must reach to be quoted, for a question whose words do not ask "
        "about the cases together: the highest bar that keeps the mean case recall of those questions of "
        "eval/crosscase.jsonl and eval/questions.jsonl at 0.9.",
    )
    case_bar_spanning: float = Field(
        -2.534,
        description="... and for a question whose words ask about the cases together (what worked, which "
        "municipalities, the other cases), chosen the same way on those questions.",
    )
    factor_floor: float = Field(
        0.915,
        description="A finding quoted across cases is grouped under one of the study's overarching factors when the "
        "factor's closest sentence reaches this cosine (chosen by reading the sample synthesis's per-case findings "
        "against its own factor texts, which name the cases they draw on) ...",
    )
    factor_margin: float = Field(
        0.01, ge=0, description="... and is this much closer than the next factor's (else: under 'other findings')."
    )
    sentences_per_case: int = Field(3, ge=1, le=3, description="Sentences quoted per case (or for the synthesis).")
    max_cases: int = Field(
        20, ge=1, description="At most this many cases quoted in one answer (the study's real size is 8 to 20)."
    )
    case_rank_weight: float = Field(
        0.05, ge=0, description="Cases are listed by best sentence + this / (1 + rank of their best passage)."
    )
    factoid_cases: int = Field(
        1,
        ge=1,
        description="Cases quoted when the question asks for a date, an amount, a count or a reason and does "
        "not span cases. 1, not 2: cited cases that were expected 0.857 vs 0.793, the rest equal.",
    )
    outline_parts: int = Field(
        3,
        ge=2,
        description="A question asking for an enumeration lists the headings of a retrieved section's "
        "subsections when it has at least this many.",
    )
    # Abstention: relevance = best passage cosine + peak_weight * (best - median cosine over the
    # index); a question with words the study never uses must clear the higher bar. Calibrated on
    # eval/questions.jsonl and eval/offtopic.jsonl (see `qa eval`).
    peak_weight: float = Field(2.0, ge=0, description="Weight of how much the best passage stands out.")
    abstain_below: float = Field(0.80, description="Abstain when relevance is below this.")
    abstain_unknown_nl: float = Field(0.94, description="Bar for Dutch questions with words unknown to the study.")
    abstain_unknown_en: float = Field(0.86, description="Bar for English questions with words unknown to the study.")
    guard_weight: float = Field(1.0, ge=0, description="Weight of the guard encoder's topicality.")
    support_weight: float = Field(
        1.0, ge=0, description="With a guard: weight of the best quotable sentence's cosine (main encoder)."
    )
    guarded_bar_nl: float = Field(1.699, description="With a guard: abstain on Dutch questions scoring below this.")
    guarded_bar_nl_unknown: float = Field(
        1.699, description="With a guard: the bar for Dutch questions using a word the study never uses."
    )
    guarded_bar_en: float = Field(1.588, description="With a guard: abstain on English questions scoring below this.")
    guarded_bar_en_alone: float = Field(
        1.888, description="With a guard but no background questions: the bar for English questions."
    )
    guarded_bar_nl_alone: float = Field(
        1.976, description="With a guard but no background questions: the bar for Dutch questions."
    )
    background_questions: Path | None = Field(
        Path(__file__).resolve().parent / "data" / "background.jsonl",
        description="Everyday questions to a municipality that the study does not answer (qa.search.background); "
        "empty or none: not used.",
    )
    background_weight: float = Field(
        0.75,
        ge=0,
        description="With a guard: weight of a question's closeness to the background questions, "
        "subtracted from its score.",
    )
    suggest_within: float = Field(0.06, ge=0, description="On abstention, offer nearby topics this close to the bar.")

    @field_validator("background_questions", mode="before")
    @classmethod
    def _no_background(cls, value: object) -> object:
        """`QA_ANSWER__BACKGROUND_QUESTIONS=` (empty) or `none` switches the background questions off."""
        return None if isinstance(value, str) and value.strip().lower() in ("", "none") else value

    @model_validator(mode="after")
    def _vocabulary_reads(self) -> AnswerSettings:
        try:
            words = self.words  # read and compiled now, so that a bad file is reported at start
        except SettingsError as exc:
            raise ValueError(str(exc)) from exc
        missing = sorted({"nl", "en"} - set(words.phrases))
        if missing:
            raise ValueError(f"no vocabulary file for language {', '.join(missing)} (the answer is written in it)")
        return self

    @property
    def words(self) -> Vocabulary:
        """The vocabulary of the files in `vocabulary`, compiled once per set of files."""
        return load_vocabulary(tuple(self.vocabulary))


class Settings(BaseSettings):
    """Where the study lives, where the index goes, and the limits that protect both."""

    model_config = SettingsConfigDict(env_prefix="QA_", env_nested_delimiter="__", extra="ignore")

    corpus: Path = Field(Path("corpus"), description="Folder holding the study (cases/ and study/).")
    index: Path = Field(Path("index"), description="Folder where the built index is kept.")
    max_file_mb: float = Field(50.0, gt=0, description="Files larger than this are skipped.")
    max_unpacked_mb: float = Field(
        100.0,
        gt=0,
        description="A DOCX (a ZIP archive) whose members unpack to more than this in all is skipped and refused "
        "as an upload, judged from its ZIP directory before anything is unpacked (a zip bomb).",
    )
    max_zip_members: int = Field(
        2000, ge=1, description="... and so is one holding more files than this (a Word document holds 10 to 30)."
    )
    max_zip_ratio: float = Field(
        100.0,
        gt=1,
        description="... and one with a member of 1 MB or more unpacked that is packed tighter than this many "
        "to 1 (Word's own XML: 30 at most).",
    )
    min_text_chars_per_page: int = Field(
        20, ge=0, description="A PDF with fewer extracted characters per page is treated as scanned."
    )
    max_pdf_pages: int = Field(
        2000, ge=1, description="A PDF with more pages than this is skipped, counted before any page is read."
    )
    max_document_chars: int = Field(
        5_000_000,
        ge=1,
        description="A document whose text runs to more characters than this is skipped (about 2,000 pages of "
        "prose): its passages would swamp the study and its embedding the machine.",
    )
    max_read_seconds: float = Field(
        120.0,
        gt=0,
        description="Reading one document (PDF, DOCX or text, in a separate worker process) may take this long; "
        "a document that takes longer is skipped and the worker restarted (the longest real PDF tried: 6 s).",
    )
    max_read_memory_mb: float = Field(
        1024.0,
        gt=0,
        description="... and may take this much memory (address space) beyond what the worker holds once started; "
        "a document that needs more is skipped (the real PDFs tried: 30 MB at most).",
    )
    chunk: ChunkSettings = ChunkSettings()
    indexing: IndexSettings = IndexSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    answer: AnswerSettings = AnswerSettings()
    users_file: Path | None = Field(
        None, description="Users of the web app (names, roles, password hashes); default <index>/users.json."
    )
    host: str = Field("127.0.0.1", description="Address the web app binds to; other than loopback needs users.")
    port: int = Field(7860, ge=1, le=65_535, description="Port of the web app.")
    index_on_start: bool = Field(
        True,
        description="The web app serves at once and brings the index up to date in the background (only new "
        "and changed documents, as 'qa index'), showing the progress on the page.",
    )
    concurrency_limit: int = Field(
        4, ge=1, le=64, description="Questions and admin actions the web app runs at once; the rest wait in a queue."
    )
    max_question_chars: int = Field(
        2000,
        ge=1,
        description="A longer question (in characters) is refused with a message by the web chat and the /ask API, "
        "before anything is searched.",
    )
    max_history_turns: int = Field(
        40,
        ge=0,
        description="The /ask API refuses a history of more messages than this (questions and answers together); "
        "the web chat passes on its latest ones within this limit and the next.",
    )
    max_history_chars: int = Field(
        200_000, ge=0, description="... and one whose messages hold more characters than this in all."
    )
    questions_per_minute: int = Field(
        30,
        ge=0,
        description="Questions one client (a logged-in user, else an address) may ask per minute, chat and /ask "
        "API together; more get a message to wait (0: no limit).",
    )
    logins_per_minute: int = Field(
        10,
        ge=0,
        description="Failed login attempts per minute from one address, and for one user name; after that a login "
        "gets HTTP 429 (0: no limit). Failed logins are logged with the name and address, never the password.",
    )

    trusted_proxies: list[str] = Field(
        [],
        description="Addresses or networks of reverse proxies in front of the web app, e.g. "
        "'[\"10.0.0.2\"]' (QA_TRUSTED_PROXIES, a JSON list). Only a request whose direct peer is one of them is "
        "counted for the address its X-Forwarded-For names (the last one that is not such a proxy); every "
        "other request for its direct peer. Empty: X-Forwarded-For is never believed.",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_addresses(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry.strip(), strict=False)
            except ValueError as exc:
                raise ValueError(f"trusted proxy {entry!r} is no IP address or network") from exc
        return value

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

    @property
    def users_path(self) -> Path:
        return self.users_file if self.users_file is not None else self.index / "users.json"


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment plus explicit overrides (flags); None means 'not given'."""
    given = {key: value for key, value in overrides.items() if value is not None}
    try:
        return Settings(**given)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors())
        raise SettingsError(f"invalid settings: {problems}") from exc
