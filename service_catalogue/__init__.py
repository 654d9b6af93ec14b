"""The service catalogue: the one place the assistant's facts come from.

`load_catalogue()` reads and validates `services.yml` (or the file named by the
STADSLOKET_CATALOGUE environment variable) once per process.
"""
from service_catalogue.model import Catalogue, CatalogueError, Counter, Product
from service_catalogue.loader import DEFAULT_PATH, load_catalogue, read_catalogue

__all__ = [
    "Catalogue",
    "CatalogueError",
    "Counter",
    "Product",
    "DEFAULT_PATH",
    "load_catalogue",
    "read_catalogue",
]
