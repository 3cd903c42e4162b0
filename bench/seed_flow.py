"""The seed's Prefect flow, as the seed document wrote it (shared/seed/prefect_demo.md).

Only the host changed (SIIAU_BASE_URL, pointing at the simulator). Runs inside
the bench's own venv (`.venv-bench`, with prefect). For each line on stdin it
runs the flow once and prints `RESULT <seconds>`.
"""

import os
import sys
import time

import pdfkit
import requests
from bs4 import BeautifulSoup
from prefect import flow, task

BASE = os.environ["SIIAU_BASE_URL"]


@task
def signIn(code: str, password: str):
    session = requests.Session()
    res = session.post(
        f"{BASE}/wus/gupprincipal.valida_inicio", data={"p_codigo_c": code, "p_clave_c": password}
    )
    print(res.status_code)
    if res.status_code == 404:
        raise Exception("Unauthorized")
    if res.status_code != 200:
        raise Exception("Error at login")
    return session


@task
def fetch_schedule(session: requests.Session):
    cookies = session.cookies
    pidmp = ""
    for item in cookies.items():
        if "SIIAUUDG" in item[0]:
            pidmp = item[1]
    res = session.get(f"{BASE}/wal/sgpregi.horario?pidmp={pidmp}&majrp=INCO")
    return res.text


@task
def clean_table(html):
    soup = BeautifulSoup(html, "html.parser")
    return soup.find_all("table")[1].prettify()


@task
def table_to_pdf(table):
    pdfkit.from_string(table, "out.pdf")


@flow
def my_etl_flow(code: str, password: str):
    session = signIn(code, password)
    html = fetch_schedule(session)
    table = clean_table(html)
    table_to_pdf(table)


if __name__ == "__main__":
    code, nip = sys.argv[1], sys.argv[2]
    for _ in sys.stdin:
        started = time.perf_counter()
        my_etl_flow(code, nip)
        print(f"RESULT {time.perf_counter() - started:.6f}", flush=True)
