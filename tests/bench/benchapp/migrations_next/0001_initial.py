# The same first migration as migrations/0001_initial.py.
import importlib

Migration = importlib.import_module("tests.bench.benchapp.migrations.0001_initial").Migration
