"""Build `password-protected.xlsx`: a one-sheet customer export saved with a password, as Excel
encrypts it (an OLE compound file holding EncryptionInfo and the encrypted package). The password is
`cs-metrics`. The tests only check that the file is recognised as password-protected. Needs openpyxl
and msoffcrypto-tool (not a dependency of the project); run from anywhere:

    pip install msoffcrypto-tool && python tests/data/xlsx/make_password_protected.py
"""

import io
from pathlib import Path

from msoffcrypto.format.ooxml import OOXMLFile
from openpyxl import Workbook

HERE = Path(__file__).resolve().parent


def main() -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Customers"
    sheet.append(["customer_id", "name"])
    sheet.append(["C1", "Siam Logistics Co., Ltd."])
    plain = io.BytesIO()
    workbook.save(plain)
    plain.seek(0)
    with open(HERE / "password-protected.xlsx", "wb") as out:
        OOXMLFile(plain).encrypt("cs-metrics", out)


if __name__ == "__main__":
    main()
