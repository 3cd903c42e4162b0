from bot.sim.siiau.server import Faults, SiiauSimulator
from bot.sim.siiau.students import DEMO_CODE, DEMO_NIP, SimCareer, SimCourse, SimStudent

__all__ = [
    "DEMO_CODE",
    "DEMO_NIP",
    "Faults",
    "SiiauSimulator",
    "SimCareer",
    "SimCourse",
    "SimStudent",
]
