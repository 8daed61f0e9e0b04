//! Pure planning.
