// k3/export.h: the K3_EXPORT macro that marks k3's public symbols.
// The library is built with hidden visibility; only what carries K3_EXPORT is exported.
#ifndef K3_EXPORT_H_
#define K3_EXPORT_H_

#if defined(K3_STATIC_DEFINE)
#define K3_EXPORT
#elif defined(K3_BUILDING_LIBRARY)
#define K3_EXPORT [[gnu::visibility("default")]]
#else
#define K3_EXPORT
#endif

// Marks an internal class nested in an exported one (Service::Impl) as not exported.
#if defined(K3_BUILDING_LIBRARY) && !defined(K3_STATIC_DEFINE)
#define K3_HIDDEN [[gnu::visibility("hidden")]]
#else
#define K3_HIDDEN
#endif

#endif  // K3_EXPORT_H_
