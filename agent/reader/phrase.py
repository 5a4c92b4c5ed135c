"""What the target grammar builds: phrases (an intersection of slots, minus negated slots) over the inventory."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Slot:
    dim: str
    hosts: set[str]
    labels: list[str]

    def label(self) -> str:
        return self.labels[0] if len(self.labels) == 1 else "(" + " ∪ ".join(self.labels) + ")"


@dataclass
class Phrase:
    include: bool
    slots: list[Slot] = field(default_factory=list)
    negs: list[Slot] = field(default_factory=list)
    quant: bool = False  # all / every / each ...
    head: bool = False  # closed by a host noun
    all_but: bool = False  # "all but ...", "everything except ..."
    everything: bool = False  # the word "everything" (may mean packages: dropped beside other targets)
    tainted: bool = False  # holds a word the inventory does not know: selects nothing
    after_comma: bool = False  # started right after a ","
    scope_all: bool = False  # ", production only" / ", only the uat ones": restricts every phrase before it

    def value(self, universe: set[str]) -> set[str] | None:
        """Hosts selected; None when the phrase names no target ("the servers", "them all")."""
        if self.tainted:
            return set()
        if self.slots or self.negs:
            base = set(universe)
            for slot in self.slots:
                base &= slot.hosts
            for slot in self.negs:
                base -= slot.hosts
            return base
        if self.quant and (self.head or self.all_but):
            return set(universe)
        return None

    def label(self) -> str:
        parts = [s.label() for s in self.slots] or (["all hosts"] if self.negs or self.quant else [])
        text = " ∩ ".join(parts) + "".join(f" − {s.label()}" for s in self.negs)
        return text if self.include else f"except {text}"
