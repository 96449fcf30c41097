namespace Pluralistic.Models.Dpa;

/// <summary>Adds DPA to <see cref="ModelCatalog"/>.</summary>
public static class DpaCatalogExtensions
{
    /// <summary>A DPA trainer; the context's seed, device and threads apply unless the options set them.</summary>
    /// <param name="catalog">The catalog.</param>
    /// <param name="options">Options, or <see langword="null"/> for defaults.</param>
    /// <returns>The trainer.</returns>
    public static DpaTrainer Dpa(this ModelCatalog catalog, DpaOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new DpaTrainer(CatalogDefaults.Apply(catalog.Context, options ?? new DpaOptions()));
    }
}
