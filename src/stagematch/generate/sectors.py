"""Sectors, host kinds, workshop titles: the vocabulary of the synthetic datasets.

Demand (what *seconde* students ask for) and supply (what employers around them offer) differ on
purpose: health, sport, law and digital are over-asked and under-offered, commerce, public
administration and construction the opposite. That mismatch is what makes the ``preference`` level
of the objective non-trivial, as it is in real pilots.

Supply also depends on where a host is: agriculture is rural, research, media and law are urban.
Weights are relative (they need not sum to one) and come from orders of magnitude of French
employment by sector, not from a fitted source.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

SECTORS: tuple[str, ...] = (
    "health",
    "commerce",
    "industry",
    "construction",
    "law",
    "media",
    "education",
    "public_administration",
    "hospitality",
    "transport_logistics",
    "digital",
    "agriculture",
    "culture",
    "sport",
    "banking_insurance",
    "social_work",
    "energy",
    "automotive",
    "research",
)
"""Sector codes, as they appear in ``offers.sector`` and ``students.wishes``."""

# How often a sector is wished (any rank); skewed like real seconde wish lists.
WISH_WEIGHTS: dict[str, float] = {
    "health": 14,
    "sport": 9,
    "law": 8,
    "digital": 8,
    "education": 7,
    "media": 6,
    "culture": 5,
    "commerce": 5,
    "research": 4,
    "social_work": 4,
    "hospitality": 3,
    "banking_insurance": 3,
    "public_administration": 3,
    "automotive": 3,
    "industry": 2,
    "construction": 2,
    "energy": 2,
    "transport_logistics": 2,
    "agriculture": 1.5,
}

# Host sector weights by size of the host's commune: rural (< 3,000 inhabitants), town, city
# (>= 30,000). Columns follow SIZE_CLASSES.
SIZE_CLASSES: tuple[str, ...] = ("rural", "town", "city")
SIZE_THRESHOLDS: tuple[float, float] = (3_000, 30_000)
SUPPLY_WEIGHTS: dict[str, tuple[float, float, float]] = {
    "health": (10, 12, 12),
    "commerce": (16, 14, 12),
    "industry": (6, 8, 7),
    "construction": (8, 7, 5),
    "law": (1, 2, 4),
    "media": (0.5, 1, 4),
    "education": (8, 8, 6),
    "public_administration": (10, 8, 6),
    "hospitality": (6, 7, 7),
    "transport_logistics": (4, 6, 6),
    "digital": (1, 3, 7),
    "agriculture": (12, 2, 0.5),
    "culture": (2, 3, 5),
    "sport": (3, 3, 3),
    "banking_insurance": (2, 4, 5),
    "social_work": (3, 4, 4),
    "energy": (2, 2, 2),
    "automotive": (4, 4, 3),
    "research": (0.2, 0.5, 3),
}

# Sectors where hosts more often ask for a minimum age (machines, sites, roads).
HAZARDOUS: frozenset[str] = frozenset(
    {"industry", "construction", "energy", "automotive", "transport_logistics", "agriculture"}
)

# Generic kinds of organisation per sector, used for host names (no personal names anywhere).
HOST_KINDS: dict[str, tuple[str, ...]] = {
    "health": ("Centre hospitalier", "Clinique", "Pharmacie", "Cabinet médical", "EHPAD"),
    "commerce": ("Supermarché", "Boutique", "Librairie", "Jardinerie", "Magasin de sport"),
    "industry": ("Usine agroalimentaire", "Atelier de mécanique", "Verrerie", "Imprimerie"),
    "construction": (
        "Entreprise du bâtiment",
        "Bureau d'études",
        "Menuiserie",
        "Cabinet d'architecture",
    ),
    "law": ("Cabinet d'avocats", "Étude notariale", "Tribunal judiciaire", "Service juridique"),
    "media": ("Radio locale", "Quotidien régional", "Agence de communication", "Studio vidéo"),
    "education": ("École maternelle", "École élémentaire", "Collège", "Centre de loisirs"),
    "public_administration": (
        "Mairie",
        "Communauté d'agglomération",
        "Sous-préfecture",
        "Trésorerie",
    ),
    "hospitality": ("Hôtel", "Restaurant", "Office de tourisme", "Traiteur"),
    "transport_logistics": ("Plateforme logistique", "Transporteur", "Gare", "Dépôt de bus"),
    "digital": (
        "Entreprise de services numériques",
        "Agence web",
        "Éditeur de logiciels",
        "Fablab",
    ),
    "agriculture": ("Exploitation agricole", "Coopérative agricole", "Pépinière", "Haras"),
    "culture": ("Médiathèque", "Musée", "Théâtre", "Conservatoire"),
    "sport": ("Club sportif", "Salle de sport", "Service des sports", "Piscine"),
    "banking_insurance": ("Agence bancaire", "Agence d'assurance", "Mutuelle", "Cabinet comptable"),
    "social_work": (
        "Centre social",
        "Association d'aide à domicile",
        "Maison de quartier",
        "Foyer",
    ),
    "energy": (
        "Centrale",
        "Distributeur d'énergie",
        "Installateur photovoltaïque",
        "Régie de l'eau",
    ),
    "automotive": ("Garage", "Concession automobile", "Carrosserie", "Contrôle technique"),
    "research": ("Laboratoire", "Centre de recherche", "Université", "Station d'essais"),
}

# Workshops associations run for groups of students (titles are generic on purpose).
WORKSHOP_TITLES: tuple[str, ...] = (
    "Codes de l'entreprise et entretien",
    "Découvrir l'entrepreneuriat",
    "Métiers de la culture et du patrimoine",
    "Prise de parole et confiance en soi",
    "Métiers du numérique",
    "CV et lettre de motivation",
    "Métiers de la santé et du soin",
    "Égalité filles-garçons et orientation",
    "Métiers de l'industrie de demain",
    "Réseaux professionnels et réseaux sociaux",
)
ASSOCIATION_NAMES: tuple[str, ...] = (
    "Association Égalité des chances",
    "Association Découverte des métiers",
    "Association Numérique pour tous",
    "Association Culture et citoyenneté",
    "Association Ambition jeunesse",
    "Association Passerelle entreprises",
    "Association Parcours d'orientation",
    "Association Quartiers et talents",
)
VENUE_KINDS: tuple[str, ...] = (
    "Chambre de commerce et d'industrie",
    "Musée",
    "Médiathèque",
    "Cité des métiers",
    "Maison de l'emploi",
)


def wish_probabilities() -> npt.NDArray[np.float64]:
    """Probability of each sector in :data:`SECTORS` being wished, normalised."""
    weights = np.array([WISH_WEIGHTS[s] for s in SECTORS], dtype=np.float64)
    return weights / weights.sum()


def supply_probabilities() -> npt.NDArray[np.float64]:
    """Host sector probabilities, one row per :data:`SIZE_CLASSES` entry, each normalised."""
    weights = np.array([SUPPLY_WEIGHTS[s] for s in SECTORS], dtype=np.float64).T
    return weights / weights.sum(axis=1, keepdims=True)


def size_class(population: npt.NDArray[np.float64]) -> npt.NDArray[np.intp]:
    """Index in :data:`SIZE_CLASSES` of each commune population."""
    return np.searchsorted(np.asarray(SIZE_THRESHOLDS), population, side="right")
