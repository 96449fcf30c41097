namespace Pluralistic.Models.Pal;

/// <summary>Adds PAL to <see cref="ModelCatalog"/>.</summary>
public static class PalCatalogExtensions
{
    /// <summary>A PAL trainer; the context's seed, device and threads apply unless the options set them.</summary>
    /// <param name="catalog">The catalog.</param>
    /// <param name="options">Options, or <see langword="null"/> for defaults.</param>
    /// <returns>The trainer.</returns>
    public static PalTrainer Pal(this ModelCatalog catalog, PalOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new PalTrainer(CatalogDefaults.Apply(catalog.Context, options ?? new PalOptions()));
    }
}
