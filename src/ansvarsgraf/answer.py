"""The answer engine's names as they were before answer.py was split, so that code written
against `ansvarsgraf.answer` (other branches, scripts, tests) keeps working.

The engine now lives in one module per job (docs/arkitektur.md): results (result types),
catalog, describe (the node reader), law_in_force, duties (the duty builder), answering
(the entry points); the command line's text output is cli_text. Code in the package imports
from those modules, never from this one.
"""

from .answering import (FEW_TASKS, NOT_MODELLED, PreparedDuties, WithPreparedAnswers,  # noqa: F401
                        _built_duties, _duties_on, _match_dict, _without_later, answer_question, answer_task,
                        applicable_duties, applicable_duties_by_task, duties_for_tasks, lapsed_documents)
from .catalog import Catalog, DescribedNodes, catalog_for, fold  # noqa: F401
from .cli_text import render_instruments, render_text  # noqa: F401
from .describe import Node, NodeReader  # noqa: F401
from .duties import MODALITY_ORDER, PART_ORDER, DutyBuilder, add_duration, duty_order  # noqa: F401
from .law_in_force import LawReader, distinct_in_force, is_law, valid_on  # noqa: F401
from .results import (Answer, Bearer, Duties, DutyAnswer, InstrumentCard, LegalBasis, Provision, Ref,  # noqa: F401
                      UnknownMunicipalityError, UnknownTaskError, Warning)
from .vocabulary import AG, ELI, KIND_NAMES, ORG, PROV  # noqa: F401

# The private names other code used before the split.
_DutyBuilder = DutyBuilder
_Node = Node
_lapsed_documents = lapsed_documents
_duty_order = duty_order
