//! TO BE WRITTEN (api helper).
