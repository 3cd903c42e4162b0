"""The simulator's registry of fake students."""

from __future__ import annotations

from dataclasses import dataclass, field

DEMO_CODE = "219294382"
DEMO_NIP = "demo2025"
DEMO_CENTER = "CENTRO UNIVERSITARIO DE CIENCIAS EXACTAS E INGENIERIAS"
TERM_START, TERM_END = "18-08-2025", "13-12-2025"


@dataclass(frozen=True)
class SimSession:
    hours: str  # "0700-0855" or ""
    days: str  # letters among "LMIJVS", e.g. "LI"
    building: str
    room: str
    professor: str
    first_day: str = TERM_START
    last_day: str = TERM_END


@dataclass(frozen=True)
class SimCourse:
    nrc: str
    key: str
    name: str
    section: str
    credits: str
    sessions: tuple[SimSession, ...]


@dataclass
class SimCareer:
    code: str
    name: str
    center: str = DEMO_CENTER
    courses: list[SimCourse] = field(default_factory=list)
    other_cycles: dict[str, list[SimCourse]] = field(default_factory=dict)


@dataclass
class SimStudent:
    code: str
    nip: str
    pidm: str
    name: str
    careers: list[SimCareer]

    def career(self, code: str) -> SimCareer | None:
        return next((c for c in self.careers if c.code == code), None)


def _session(hours: str, days: str, building: str, room: str, professor: str) -> SimSession:
    return SimSession(hours, days, building, room, professor)


DEMO_COURSES = [
    SimCourse(
        "179961",
        "I7036",
        "COMPUTACION TOLERANTE A FALLAS",
        "D06",
        "8",
        (_session("1100-1255", "LI", "DEDX", "A002", "LOPEZ FRANCO, CARLOS ALBERTO"),),
    ),
    SimCourse(
        "180245",
        "I5890",
        "SEMINARIO DE SOLUCION DE PROBLEMAS DE REDES",
        "D11",
        "5",
        (_session("0700-0855", "MJ", "DUCT1", "LC05", "VILLASEÑOR MUÑOZ, ANA"),),
    ),
    SimCourse(
        "181002",
        "I7038",
        "SISTEMAS OPERATIVOS",
        "D03",
        "8",
        (
            _session("0900-1055", "LI", "DEDT", "A013", "PEÑA GARCIA, JOSE"),
            _session("1300-1455", "V", "DUCT2", "LC11", "PEÑA GARCIA, JOSE"),
        ),
    ),
    SimCourse(
        "182310",
        "IL354",
        "INGLES IV",
        "D15",
        "4",
        (_session("1700-1855", "S", "DEDR", "R208", ""),),
    ),
]

PREVIOUS_CYCLE = [
    SimCourse(
        "170001",
        "I5886",
        "ESTRUCTURAS DE DATOS II",
        "D02",
        "8",
        (_session("0900-1055", "MJ", "DEDX", "A010", "RAMIREZ NUÑEZ, LUIS"),),
    ),
]


def demo_students() -> list[SimStudent]:
    """Fixed students: the demo one, two careers, no courses, accents and no room yet."""
    return [
        SimStudent(
            DEMO_CODE,
            DEMO_NIP,
            "1234567",
            "MARTINEZ VIRGEN, KEVIN ALAN",
            [
                SimCareer(
                    "INCO",
                    "INGENIERIA EN COMPUTACION",
                    courses=list(DEMO_COURSES),
                    other_cycles={"202510": list(PREVIOUS_CYCLE)},
                )
            ],
        ),
        SimStudent(
            "220000001",
            "dos2carr",
            "2000001",
            "GOMEZ ZUÑIGA, MARIA JOSE",
            [
                SimCareer(
                    "INCO",
                    "INGENIERIA EN COMPUTACION",
                    courses=[
                        SimCourse(
                            "190001",
                            "I7040",
                            "BASES DE DATOS",
                            "D01",
                            "8",
                            (_session("0700-0855", "LI", "DEDX", "A105", "NUÑEZ OCHOA, PEDRO"),),
                        ),
                    ],
                ),
                SimCareer(
                    "LIFI",
                    "LICENCIATURA EN FISICA",
                    courses=[
                        SimCourse(
                            "190777",
                            "F1234",
                            "MECANICA CUANTICA",
                            "D02",
                            "8",
                            (_session("1500-1655", "MJ", "DEFG", "F201", "OROZCO PIÑA, ROSA"),),
                        ),
                    ],
                ),
            ],
        ),
        SimStudent(
            "220000002",
            "vacio1",
            "2000002",
            "LOPEZ PEREZ, JUAN",
            [SimCareer("ICOM", "INGENIERIA EN COMUNICACIONES Y ELECTRONICA")],
        ),
        SimStudent(
            "220000003",
            "acento9",
            "2000003",
            "IBAÑEZ MUÑOZ, JOSE ÁNGEL",
            [
                SimCareer(
                    "BGC",
                    "LICENCIATURA EN BIOLOGIA",
                    courses=[
                        SimCourse(
                            "191111",
                            "B0101",
                            "ECOLOGÍA Y SOCIEDAD",
                            "D01",
                            "6",
                            (_session("0800-0955", "LMI", "DEBA", "B01", "CASTAÑEDA DÍAZ, LUCÍA"),),
                        ),
                        SimCourse(
                            "191112",
                            "B0102",
                            "PRÁCTICAS DE CAMPO",
                            "D01",
                            "4",
                            (_session("", "", "", "", ""),),
                        ),
                        SimCourse(
                            "191113",
                            "B0103",
                            "  TALLER   DE   REDACCIÓN  ",
                            "D05",
                            "3",
                            (_session("1900-2055", "S", "DEBA", "", "  VARGAS   PEÑA, ELENA  "),),
                        ),
                    ],
                )
            ],
        ),
    ]


def group_tag(index: int) -> str:
    """The word that marks a generated student's own courses (never their code)."""
    return f"GRUPO{index:05d}"


def generated_student(index: int) -> SimStudent:
    """A distinct student per index, whose course names carry `group_tag(index)`."""
    tag = group_tag(index)
    courses = [
        SimCourse(
            f"{500000 + index * 3 + k:06d}",
            f"G{k:04d}",
            f"MATERIA {k + 1} {tag}",
            f"D{k + 1:02d}",
            "6",
            (
                SimSession(
                    f"{7 + 2 * k:02d}00-{8 + 2 * k:02d}55",
                    "LI" if k % 2 == 0 else "MJ",
                    "DEDX",
                    f"A{k:03d}",
                    f"PROFESOR {k + 1}, {tag}",
                ),
            ),
        )
        for k in range(3)
    ]
    return SimStudent(
        f"{300000000 + index}",
        f"n{index:06d}",
        f"{4000000 + index}",
        f"ALUMNO {tag}",
        [SimCareer("INCO", "INGENIERIA EN COMPUTACION", courses=courses)],
    )
