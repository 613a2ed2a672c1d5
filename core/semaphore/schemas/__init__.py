"""marshmallow schemas: the JSON contract, with the original Semaphore's field names."""
