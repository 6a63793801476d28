"""Measuring the product on evaluation sets (`eval/`), one module per kind of measure: `questions`
(the sets and what counts as an answer), `ranking` (retrieval: recall@k and MRR), `answers` (case,
document and key fact cited, sound citations, off-topic declined), `intent` (quotes filed under what
was asked), `crosscase` (every case that answers a question across cases) and `facts` (where a key
fact is lost). Its labels are its own, apart from the product's vocabulary, so that it can find the
product wrong."""

from __future__ import annotations

from qa.evaluation.answers import AnswerScores, citation_problems, evaluate_answers, format_answer_table
from qa.evaluation.crosscase import CrossCaseScores, evaluate_crosscase, format_crosscase_table
from qa.evaluation.facts import FactTrace, trace_fact
from qa.evaluation.intent import (
    INTENT_LABELS,
    INTENT_PROMPTS,
    IntentScores,
    evaluate_intent,
    format_intent_table,
    on_intent,
)
from qa.evaluation.questions import (
    Question,
    holds_fact,
    is_answer_bearing,
    is_labelled,
    load_questions,
    workspace_with_cases,
)
from qa.evaluation.ranking import MODES, RELEVANCE, Results, Scores, evaluate, first_relevant_rank, format_table, score

__all__ = [
    "INTENT_LABELS",
    "INTENT_PROMPTS",
    "MODES",
    "RELEVANCE",
    "AnswerScores",
    "CrossCaseScores",
    "FactTrace",
    "IntentScores",
    "Question",
    "Results",
    "Scores",
    "citation_problems",
    "evaluate",
    "evaluate_answers",
    "evaluate_crosscase",
    "evaluate_intent",
    "first_relevant_rank",
    "format_answer_table",
    "format_crosscase_table",
    "format_intent_table",
    "format_table",
    "holds_fact",
    "is_answer_bearing",
    "is_labelled",
    "load_questions",
    "on_intent",
    "score",
    "trace_fact",
    "workspace_with_cases",
]
