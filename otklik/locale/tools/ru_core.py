"""Russian translations of the core's strings (domain errors, app names), applied with fill_po.py."""

RU: dict[str, str | list[str]] = {
    "The operation is not allowed.": "Это действие недоступно.",
    "Not found.": "Не найдено.",
    "The input is not valid.": "Данные указаны неверно.",
    "The ticket is not in a state that allows this.": "В текущем состоянии заявки это действие недоступно.",
    "Core": "Ядро",
    "Web": "Веб-интерфейс",
}
