//! TO BE WRITTEN (distro helper).
