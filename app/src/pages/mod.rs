//! Pages that are not part of the sign-in flow itself.

pub mod home;
pub mod not_found;
