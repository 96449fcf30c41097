namespace Pluralistic.Models.Vpl;

/// <summary>Adds VPL to <see cref="ModelCatalog"/>.</summary>
public static class VplCatalogExtensions
{
    /// <summary>A VPL trainer; the context's seed, device and threads apply unless the options set them.</summary>
    /// <param name="catalog">The catalog.</param>
    /// <param name="options">Options, or <see langword="null"/> for defaults.</param>
    /// <returns>The trainer.</returns>
    public static VplTrainer Vpl(this ModelCatalog catalog, VplOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new VplTrainer(CatalogDefaults.Apply(catalog.Context, options ?? new VplOptions()));
    }
}
