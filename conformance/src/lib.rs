//! The conformance suite: checks that run against the parkbench mocks or a vendor's sandbox.
